#include "connectors/email/sendgrid_connector.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <charconv>
#include <map>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "connectors/common/rejection_reasons.h"
#include "connectors/email/accepted_answer.h"
#include "connectors/email/parsed_email.h"
#include "connectors/email/utf8_text.h"
#include "core/crypto/digest.h"
#include "core/ids.h"

namespace switchboard::connectors::email {
namespace {

namespace json = boost::json;

constexpr size_t kMaxCredentialsBytes = 1024;
constexpr size_t kMaxCharsetBytes = 64;
constexpr size_t kMaxEnvelopeRecipients = 100;

// Fields that describe SendGrid's handling of the mail rather than the mail: left out of the
// content digest that stands in for a missing Message-ID.
const std::vector<std::string_view> kNotContent = {"dkim", "SPF", "spam_score", "spam_report",
                                                   "sender_ip"};

Rejection invalid(std::string_view field, std::string_view what) {
  std::string detail(field);
  detail += ' ';
  detail += what;
  return Rejection(Errc::kMalformedInput, reasons::kInvalidField, std::move(detail));
}

std::optional<std::string> decodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > kMaxCredentialsBytes) {
    return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t size = static_cast<size_t>(n);
  if (text.back() == '=') --size;  // EVP_DecodeBlock counts padding as zero bytes
  if (text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

// The `envelope` field: {"to":["a@x"],"from":"b@y"}. Absent is fine (the headers then say who).
ConnectorResult<void> readEnvelope(const std::vector<FormPart>& parts, EmailEnvelope& envelope) {
  const FormPart* field = findField(parts, "envelope");
  if (field == nullptr || trimSpace(field->data).empty()) return {};
  boost::system::error_code ec;
  json::value parsed = json::parse(field->data, ec);
  const json::object* object = ec ? nullptr : parsed.if_object();
  if (object == nullptr) return invalid("envelope", "must be a JSON object");
  if (const json::value* from = object->if_contains("from"); from && !from->is_null()) {
    if (!from->is_string()) return invalid("envelope.from", "must be a string");
    envelope.mail_from = std::string(from->get_string());
  }
  if (const json::value* to = object->if_contains("to"); to && !to->is_null()) {
    const json::array* list = to->if_array();
    if (list == nullptr) return invalid("envelope.to", "must be an array of strings");
    for (const json::value& item : *list) {
      if (!item.is_string()) return invalid("envelope.to", "must be an array of strings");
      if (envelope.rcpt_to.size() < kMaxEnvelopeRecipients) {
        envelope.rcpt_to.emplace_back(item.get_string());
      }
    }
  }
  return {};
}

// The `charsets` field: {"subject":"ISO-2022-JP","text":"iso-8859-1",...}.
ConnectorResult<std::map<std::string, std::string, std::less<>>> readCharsets(
    const std::vector<FormPart>& parts) {
  std::map<std::string, std::string, std::less<>> charsets;
  const FormPart* field = findField(parts, "charsets");
  if (field == nullptr || trimSpace(field->data).empty()) return charsets;
  boost::system::error_code ec;
  json::value parsed = json::parse(field->data, ec);
  const json::object* object = ec ? nullptr : parsed.if_object();
  if (object == nullptr) return invalid("charsets", "must be a JSON object");
  for (const auto& member : *object) {
    const json::string* name = member.value().if_string();
    if (name == nullptr || name->size() > kMaxCharsetBytes) {
      return invalid("charsets", "must map field names to charset names");
    }
    charsets.emplace(std::string(member.key()), std::string(*name));
  }
  return charsets;
}

// SendGrid's verdicts, kept for routing rules (a spam queue) when they are what they claim.
void providerAttributes(const std::vector<FormPart>& parts, v1::InboundMessage& message) {
  if (const FormPart* score = findField(parts, "spam_score")) {
    std::string_view value = trimSpace(score->data);
    if (!value.empty() && value.size() <= 16 &&
        value.find_first_not_of("+-.0123456789") == std::string_view::npos) {
      (*message.mutable_attributes())["spam_score"] = std::string(value);
    }
  }
  if (const FormPart* spf = findField(parts, "SPF")) {
    std::string_view value = trimSpace(spf->data);
    if (!value.empty() && value.size() <= 64 && isValidUtf8(value) &&
        value.find_first_of("\r\n") == std::string_view::npos) {
      (*message.mutable_attributes())["spf"] = std::string(value);
    }
  }
}

NormalizedBatch accepted(v1::InboundMessage message, std::optional<std::string_view> traceparent) {
  message.mutable_envelope()->set_trace_id(traceIdOrRandom(traceparent));
  message.mutable_envelope()->set_producer(std::string(SendGridConnector::kProducer));
  NormalizedBatch batch;
  batch.accepted = acceptedEmailAnswer(message);
  batch.messages.push_back(std::move(message));
  return batch;
}

}  // namespace

Status validateSendGridSettings(const SendGridSettings& settings) {
  const std::string& credentials = settings.basic_auth;
  const size_t colon = credentials.find(':');
  if (colon == std::string::npos || colon + 1 == credentials.size()) {
    return makeError(Errc::kConfig,
                     "sendgrid connector: the Basic credentials must be \"user:password\" with a "
                     "password (SWITCHBOARD_SENDGRID_BASIC_AUTH)");
  }
  for (char c : credentials) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') {
      return makeError(Errc::kConfig,
                       "sendgrid connector: the Basic credentials hold a control character");
    }
  }
  return okStatus();
}

SendGridConnector::SendGridConnector(SendGridSettings settings)
    : credentials_digest_(crypto::sha256Hex(settings.basic_auth)),
      limits_(settings.limits),
      form_limits_(std::move(settings.form)) {}

std::vector<Route> SendGridConnector::routes() const {
  return {Route{"POST", std::string(kPath)}};
}

std::optional<Rejection> SendGridConnector::checkCredentials(
    std::optional<std::string_view> authorization) const {
  std::string_view value = authorization ? trimSpace(*authorization) : std::string_view();
  if (value.empty()) {
    return Rejection(Errc::kUnauthenticated, reasons::kMissingSignature,
                     "HTTP Basic credentials are required: configure the Inbound Parse URL as "
                     "https://user:password@host/v1/email/sendgrid");
  }
  std::string scheme(value.substr(0, 6));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool basic = value.size() > 6 && scheme == "basic ";
  std::optional<std::string> decoded =
      basic ? decodeBase64(trimSpace(value.substr(6))) : std::nullopt;
  // Digests of equal length are compared whatever was presented, so that the time taken says
  // nothing about the configured credentials.
  const std::string digest = crypto::sha256Hex(decoded.value_or(std::string()));
  const bool match =
      CRYPTO_memcmp(digest.data(), credentials_digest_.data(), credentials_digest_.size()) == 0;
  if (decoded && match) return std::nullopt;
  return Rejection(Errc::kForbidden, reasons::kBadSignature,
                   "the HTTP Basic credentials do not match the configured ones");
}

ConnectorResult<NormalizedBatch> SendGridConnector::normalize(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  if (auto rejected = checkCredentials(request.header("Authorization"))) return *rejected;
  SB_ASSIGN_OR_RETURN(std::vector<FormPart> parts,
                      parseFormBody(request.header("Content-Type"), request.body, form_limits_));
  const std::optional<std::string_view> traceparent = request.header("traceparent");
  EmailEnvelope envelope;
  envelope.provider = std::string(kProvider);
  SB_RETURN_IF_ERROR(readEnvelope(parts, envelope));

  // The raw message is a text field; a client that uploads it as a file means the same.
  const FormPart* raw = findField(parts, "email");
  for (const FormPart& part : parts) {
    if (raw == nullptr && part.name == "email") raw = &part;
  }
  if (raw != nullptr) {
    SB_ASSIGN_OR_RETURN(v1::InboundMessage message,
                        normalizeRawEmail(raw->data, envelope, limits_, now));
    providerAttributes(parts, message);
    return accepted(std::move(message), traceparent);
  }

  SB_ASSIGN_OR_RETURN(auto charsets, readCharsets(parts));
  // A field's text in UTF-8: from the charset `charsets` names, else the part's own label,
  // else UTF-8 (invalid bytes become U+FFFD either way).
  auto text = [&](std::string_view name) -> std::string {
    const FormPart* field = findField(parts, name);
    if (field == nullptr) return {};
    auto charset = charsets.find(name);
    std::string_view label = charset != charsets.end() ? std::string_view(charset->second)
                             : !field->charset.empty() ? std::string_view(field->charset)
                                                       : std::string_view("UTF-8");
    return toUtf8(field->data, label);
  };
  if (findField(parts, "from") == nullptr) {
    return Rejection(Errc::kMissingField, reasons::kMissingField,
                     "email (raw mode) or from (parsed mode) is required");
  }

  ParsedEmail email;
  email.provider = kProvider;
  email.producer = kProducer;
  email.from = text("from");
  email.to = text("to");
  email.subject = text("subject");
  email.text = text("text");
  email.html = text("html");
  email.envelope_from = envelope.mail_from;
  email.envelope_to = envelope.rcpt_to;
  if (const FormPart* headers = findField(parts, "headers")) email.header_block = headers->data;
  email.traceparent = traceparent;
  email.content_digest = contentDigest(parts, kNotContent);

  // attachment-info describes each file part by its field name; the file part itself is the
  // fallback (a post without attachment-info, or an entry it lacks).
  json::value info;
  if (const FormPart* field = findField(parts, "attachment-info")) {
    boost::system::error_code ec;
    info = json::parse(field->data, ec);
    if (ec || !info.is_object()) return invalid("attachment-info", "must be a JSON object");
  }
  for (const FormPart& part : parts) {
    if (!part.isFile()) continue;
    if (email.attachments.size() >= limits_.max_attachments) {
      ++email.attachments_omitted;
      continue;
    }
    std::string_view name = *part.filename;
    std::string_view type;
    const json::value* entry =
        info.is_object() ? info.get_object().if_contains(part.name) : nullptr;
    if (entry != nullptr && entry->is_object()) {
      const json::object& described = entry->get_object();
      if (const json::value* f = described.if_contains("filename"); f && f->is_string()) {
        name = f->get_string();
      }
      if (const json::value* t = described.if_contains("type"); t && t->is_string()) {
        type = t->get_string();
      }
    }
    email.attachments.push_back(describeUpload(part, name, type, limits_));
  }

  SB_ASSIGN_OR_RETURN(v1::InboundMessage message, buildParsedEmail(email, limits_, now));
  providerAttributes(parts, message);
  // `attachments` is SendGrid's count of the files it meant to post: fewer file parts means
  // some were lost on the way, which the agent should know (the mail itself is still taken).
  if (const FormPart* count = findField(parts, "attachments")) {
    size_t declared = 0;
    const std::string_view digits = trimSpace(count->data);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), declared);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return invalid("attachments", "must be a number");
    }
    const size_t posted = email.attachments.size() + email.attachments_omitted;
    if (declared > posted) {
      (*message.mutable_attributes())["attachments_missing"] = std::to_string(declared - posted);
    }
  }
  return accepted(std::move(message), traceparent);
}

Status registerSendGridConnector(ConnectorRegistry& registry, const SendGridSettings& settings) {
  if (!settings.isEnabled()) return okStatus();
  SB_RETURN_IF_ERROR(validateSendGridSettings(settings));
  return registry.add(std::make_unique<SendGridConnector>(settings));
}

}  // namespace switchboard::connectors::email
