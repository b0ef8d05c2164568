#include "connectors/email/mailgun_connector.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "connectors/common/rejection_reasons.h"
#include "connectors/email/accepted_answer.h"
#include "connectors/email/parsed_email.h"
#include "connectors/email/raw_email_connector.h"
#include "connectors/email/utf8_text.h"
#include "core/http/error_status.h"
#include "core/ids.h"

namespace switchboard::connectors::email {
namespace {

namespace json = boost::json;
using std::chrono::system_clock;

constexpr size_t kMaxTokenBytes = 256;  // Mailgun's are 50 characters
constexpr size_t kMaxTimestampDigits = 12;

// Per-attempt fields: left out of the content digest that stands in for a missing Message-ID.
const std::vector<std::string_view> kSignatureFields = {"timestamp", "token", "signature"};

// The message-headers entries worth a header line here: threading, Reply-To, auto-reply
// markers, and To (the recipient when `recipient` is missing).
constexpr std::array<std::string_view, 8> kHeadersRead = {
    "message-id", "in-reply-to",    "references", "date",
    "reply-to",   "auto-submitted", "precedence", "to"};

Rejection invalid(std::string_view field, std::string_view what) {
  std::string detail(field);
  detail += ' ';
  detail += what;
  return Rejection(Errc::kMalformedInput, reasons::kInvalidField, std::move(detail));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A field's text in UTF-8 (Mailgun posts UTF-8; a multipart part may still name a charset).
std::string text(const std::vector<FormPart>& parts, std::string_view name) {
  const FormPart* field = findField(parts, name);
  if (field == nullptr) return {};
  return toUtf8(field->data, field->charset.empty() ? "UTF-8" : field->charset);
}

// `message-headers`, [["Message-Id","<a@b>"],["Subject","Hi"],...], written back as the header
// lines parsed_email.h reads (To's value returned apart).
ConnectorResult<void> readMessageHeaders(const std::vector<FormPart>& parts,
                                         std::string& header_block, std::string& to) {
  const FormPart* field = findField(parts, "message-headers");
  if (field == nullptr || trimSpace(field->data).empty()) return {};
  boost::system::error_code ec;
  json::value parsed = json::parse(field->data, ec);
  const json::array* list = ec ? nullptr : parsed.if_array();
  if (list == nullptr) return invalid("message-headers", "must be a JSON list of [name, value]");
  for (const json::value& item : *list) {
    const json::array* pair = item.if_array();
    if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
        !(*pair)[1].is_string()) {
      return invalid("message-headers", "must be a JSON list of [name, value]");
    }
    const std::string name = lower((*pair)[0].get_string());
    if (std::find(kHeadersRead.begin(), kHeadersRead.end(), name) == kHeadersRead.end()) continue;
    std::string value((*pair)[1].get_string());
    for (char& c : value) {
      if (c == '\r' || c == '\n') c = ' ';  // one header, one line
    }
    if (name == "to") {
      if (to.empty()) to = std::move(value);
      continue;
    }
    header_block += std::string((*pair)[0].get_string()) + ": " + value + "\r\n";
  }
  return {};
}

}  // namespace

Status validateMailgunSettings(const MailgunSettings& settings) {
  if (!settings.isEnabled()) return okStatus();
  if (settings.timestamp_tolerance < std::chrono::seconds(1) ||
      settings.timestamp_tolerance > std::chrono::hours(24)) {
    return makeError(Errc::kConfig,
                     "mailgun connector: the timestamp tolerance must be 1 s to 24 h");
  }
  if (settings.replay_cache_capacity == 0) {
    return makeError(Errc::kConfig, "mailgun connector: the replay cache needs a capacity");
  }
  return okStatus();
}

MailgunConnector::MailgunConnector(MailgunSettings settings)
    : settings_(std::move(settings)),
      replay_cache_(std::make_unique<TokenReplayCache>(settings_.replay_cache_capacity)) {}

std::vector<Route> MailgunConnector::routes() const {
  return {Route{"POST", std::string(kPath)}, Route{"POST", std::string(kMimePath)}};
}

std::optional<Rejection> MailgunConnector::checkSignature(const std::vector<FormPart>& parts,
                                                          system_clock::time_point now) const {
  const FormPart* timestamp = findField(parts, "timestamp");
  const FormPart* token = findField(parts, "token");
  const FormPart* signature = findField(parts, "signature");
  if (timestamp == nullptr || token == nullptr || signature == nullptr || timestamp->data.empty() ||
      token->data.empty() || signature->data.empty()) {
    return Rejection(Errc::kUnauthenticated, reasons::kMissingSignature,
                     "timestamp, token and signature are required (Mailgun signs every route "
                     "POST)");
  }
  if (token->data.size() > kMaxTokenBytes ||
      !mailgunSignatureMatches(settings_.signing_key, timestamp->data, token->data,
                               signature->data)) {
    return Rejection(Errc::kForbidden, reasons::kBadSignature,
                     "signature does not match timestamp and token under the configured "
                     "signing key");
  }
  // Authentic from here on: what remains is whether it is fresh.
  const std::string& digits = timestamp->data;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seconds);
  if (ec != std::errc() || end != digits.data() + digits.size() ||
      digits.size() > kMaxTimestampDigits || seconds < 0) {
    return Rejection(Errc::kUnauthenticated, reasons::kStaleTimestamp,
                     "timestamp is not a number of seconds since 1970");
  }
  const system_clock::time_point signed_at{std::chrono::seconds(seconds)};
  const auto skew = now > signed_at ? now - signed_at : signed_at - now;
  if (skew > settings_.timestamp_tolerance) {
    return Rejection(
        Errc::kUnauthenticated, reasons::kStaleTimestamp,
        "timestamp is " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(skew).count()) +
            " s from this server's clock (at most " +
            std::to_string(settings_.timestamp_tolerance.count()) + " s accepted)");
  }
  if (!replay_cache_->firstUse(token->data, signed_at + settings_.timestamp_tolerance, now)) {
    return Rejection(Errc::kForbidden, reasons::kBadSignature,
                     "this token was already used: a Mailgun signature is valid once");
  }
  return std::nullopt;
}

http::Response MailgunConnector::rejectionAnswer(const Rejection& rejection) const {
  http::Response answer = Connector::rejectionAnswer(rejection);
  switch (rejection.code()) {
    case Errc::kMalformedInput:
    case Errc::kTooLarge:
    case Errc::kUnsupportedMediaType:
      answer.status = 406;  // Mailgun's "rejected: do not retry"
      break;
    default: break;
  }
  return answer;
}

ConnectorResult<NormalizedBatch> MailgunConnector::normalize(const http::Request& request,
                                                             system_clock::time_point now) const {
  SB_ASSIGN_OR_RETURN(std::vector<FormPart> parts,
                      parseFormBody(request.header("Content-Type"), request.body, settings_.form));
  if (auto rejected = checkSignature(parts, now)) return *rejected;
  const std::optional<std::string_view> traceparent = request.header("traceparent");

  v1::InboundMessage message;
  // body-mime is a text field; a file upload of it means the same.
  const FormPart* raw = findField(parts, "body-mime");
  for (const FormPart& part : parts) {
    if (raw == nullptr && part.name == "body-mime") raw = &part;
  }
  if (request.path == kMimePath && raw == nullptr) {
    return Rejection(
        Errc::kMissingField, reasons::kMissingField,
        "body-mime is required on " + std::string(kMimePath) + " (a forward() URL ending in mime)");
  }
  if (raw != nullptr) {
    EmailEnvelope envelope;
    envelope.provider = std::string(kProvider);
    envelope.mail_from = text(parts, "sender");
    envelope.rcpt_to = splitEnvelopeList(text(parts, "recipient"));
    SB_ASSIGN_OR_RETURN(message, normalizeRawEmail(raw->data, envelope, settings_.limits, now));
    message.mutable_envelope()->set_trace_id(traceIdOrRandom(traceparent));
    message.mutable_envelope()->set_producer(std::string(kProducer));
  } else {
    ParsedEmail email;
    email.provider = kProvider;
    email.producer = kProducer;
    email.from = text(parts, "from");
    email.subject = text(parts, "subject");
    email.text = text(parts, "body-plain");
    email.html = text(parts, "body-html");
    if (findField(parts, "stripped-text") != nullptr) {
      email.stripped_text = text(parts, "stripped-text");
    }
    email.envelope_from = text(parts, "sender");
    email.envelope_to = splitEnvelopeList(text(parts, "recipient"));
    SB_RETURN_IF_ERROR(readMessageHeaders(parts, email.header_block, email.to));
    email.traceparent = traceparent;
    email.content_digest = contentDigest(parts, kSignatureFields);
    for (const FormPart& part : parts) {
      if (!part.isFile()) continue;
      if (email.attachments.size() >= settings_.limits.max_attachments) {
        ++email.attachments_omitted;
        continue;
      }
      email.attachments.push_back(describeUpload(part, *part.filename, "", settings_.limits));
    }
    SB_ASSIGN_OR_RETURN(message, buildParsedEmail(email, settings_.limits, now));
  }

  NormalizedBatch batch;
  batch.accepted = acceptedEmailAnswer(message);
  batch.accepted.status = 200;  // Mailgun counts only 200 as delivered
  batch.messages.push_back(std::move(message));
  return batch;
}

Status registerMailgunConnector(ConnectorRegistry& registry, const MailgunSettings& settings) {
  if (!settings.isEnabled()) return okStatus();
  SB_RETURN_IF_ERROR(validateMailgunSettings(settings));
  return registry.add(std::make_unique<MailgunConnector>(settings));
}

}  // namespace switchboard::connectors::email
