#include "connectors/email/smtp_email_connector.h"

#include "connectors/common/rejection_reasons.h"
#include "connectors/email/accepted_answer.h"
#include "connectors/email/raw_email_connector.h"
#include "core/ids.h"

namespace switchboard::connectors::email {

ConnectorResult<NormalizedBatch> SmtpEmailConnector::normalize(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  EmailEnvelope envelope;
  const std::string_view protocol = request.header(kProtocolHeader).value_or("smtp");
  if (protocol != "smtp" && protocol != "lmtp") {
    return Rejection(Errc::kMalformedInput, reasons::kInvalidField,
                     "X-Smtp-Protocol must be smtp or lmtp");
  }
  envelope.provider = std::string(protocol);
  if (auto from = request.header(kMailFromHeader)) {
    std::vector<std::string> senders = splitEnvelopeList(*from);
    if (!senders.empty()) envelope.mail_from = std::move(senders.front());
  }
  if (auto to = request.header(kRcptToHeader)) envelope.rcpt_to = splitEnvelopeList(*to);

  SB_ASSIGN_OR_RETURN(v1::InboundMessage message,
                      normalizeRawEmail(request.body, envelope, limits_, now));
  message.mutable_envelope()->set_producer(std::string(kProducer));
  NormalizedBatch batch;
  batch.accepted = acceptedEmailAnswer(message);
  batch.messages.push_back(std::move(message));
  return batch;
}

Status registerSmtpEmailConnector(ConnectorRegistry& registry, const SmtpEmailSettings& settings) {
  return registry.add(std::make_unique<SmtpEmailConnector>(settings));
}

}  // namespace switchboard::connectors::email
