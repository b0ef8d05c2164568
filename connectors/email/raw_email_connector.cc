#include "connectors/email/raw_email_connector.h"

#include "connectors/common/rejection_reasons.h"
#include "connectors/common/request_checks.h"
#include "connectors/email/accepted_answer.h"
#include "connectors/email/utf8_text.h"
#include "core/ids.h"

namespace switchboard::connectors::email {
namespace {

constexpr size_t kMaxEnvelopeRecipients = 100;  // RFC 5321's minimum a server must accept

}  // namespace

std::vector<std::string> splitEnvelopeList(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size() && out.size() < kMaxEnvelopeRecipients) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = trimSpace(value.substr(start, comma - start));
    if (item.size() >= 2 && item.front() == '<' && item.back() == '>') {
      item = trimSpace(item.substr(1, item.size() - 2));
    }
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

RawEmailConnector::RawEmailConnector(RawEmailSettings settings)
    : token_(settings.inbound_token), limits_(settings.limits) {}

std::vector<Route> RawEmailConnector::routes() const {
  return {Route{"POST", std::string(kPath)}};
}

ConnectorResult<NormalizedBatch> RawEmailConnector::normalize(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  switch (token_.check(request.header("Authorization"))) {
    case InboundToken::Check::kMissing:
      return Rejection(Errc::kUnauthenticated, reasons::kMissingSignature,
                       "an Authorization header with the inbound token (Bearer or Basic) is "
                       "required");
    case InboundToken::Check::kMismatch:
      return Rejection(Errc::kForbidden, reasons::kBadSignature,
                       "the Authorization header does not carry the configured inbound token");
    case InboundToken::Check::kValid: break;
  }
  if (auto rejected = rejectIfLargerThan(request, limits_.max_message_bytes)) return *rejected;
  if (auto rejected = rejectUnlessMediaType(request, "message/rfc822")) return *rejected;

  EmailEnvelope envelope;
  envelope.provider = std::string(kProvider);
  if (auto from = request.header(kEnvelopeFromHeader)) {
    std::vector<std::string> senders = splitEnvelopeList(*from);
    if (!senders.empty()) envelope.mail_from = std::move(senders.front());
  }
  if (auto to = request.header(kEnvelopeToHeader)) envelope.rcpt_to = splitEnvelopeList(*to);

  SB_ASSIGN_OR_RETURN(v1::InboundMessage message,
                      normalizeRawEmail(request.body, envelope, limits_, now));
  message.mutable_envelope()->set_producer(std::string(kProducer));
  if (auto traceparent = request.header("traceparent")) {
    if (auto trace_id = traceIdFromTraceparent(*traceparent)) {
      message.mutable_envelope()->set_trace_id(std::move(*trace_id));
    }
  }
  NormalizedBatch batch;
  batch.accepted = acceptedEmailAnswer(message);
  batch.messages.push_back(std::move(message));
  return batch;
}

Status registerRawEmailConnector(ConnectorRegistry& registry, const RawEmailSettings& settings) {
  if (!settings.isEnabled()) return okStatus();
  return registry.add(std::make_unique<RawEmailConnector>(settings));
}

}  // namespace switchboard::connectors::email
