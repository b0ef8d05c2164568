#include "connectors/sms/sms_connector.h"

#include <array>
#include <charconv>
#include <string>
#include <utility>

#include "connectors/common/form_urlencoded.h"
#include "connectors/common/rejection_reasons.h"
#include "connectors/common/request_checks.h"
#include "connectors/sms/phone_number.h"
#include "connectors/sms/twilio_signature.h"
#include "core/crypto/digest.h"
#include "core/http/media_type.h"
#include "core/ids.h"

namespace switchboard::connectors::sms {
namespace {

// Rejection reasons: metric labels and DeadLetter reasons, so a fixed set.
using reasons::kBadSignature;
using reasons::kInvalidField;
using reasons::kMissingField;
using reasons::kMissingSignature;
constexpr std::string_view kMalformedForm = "malformed_form";
constexpr std::string_view kInternal = "internal";

// Field limits, in bytes. Twilio's SIDs have 34 characters and its media URLs about 150.
constexpr size_t kMaxSidBytes = 64;
constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMaxContentTypeBytes = 255;
constexpr size_t kMaxLocationBytes = 128;

// Twilio's geographic lookup of the sender, copied to attributes under the same names.
constexpr std::array<std::string_view, 4> kLocationFields = {"FromCountry", "FromState", "FromCity",
                                                             "FromZip"};

using Fields = std::vector<FormField>;

Rejection invalid(std::string_view field, std::string_view what) {
  std::string detail(field);
  detail += ' ';
  detail += what;
  return Rejection(Errc::kMalformedInput, kInvalidField, std::move(detail));
}

Rejection missing(std::string_view field) {
  return Rejection(Errc::kMissingField, kMissingField, std::string(field) + " is required");
}

bool hasControlChars(std::string_view s) {
  for (char c : s) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

// A field the connector reads. Twilio never repeats these; if one came twice, which value it
// meant would be a guess, so it is refused.
ConnectorResult<std::optional<std::string_view>> single(const Fields& fields,
                                                        std::string_view name) {
  if (formCount(fields, name) > 1) return invalid(name, "appears more than once");
  return formValue(fields, name);
}

// Absent and empty are the same for required fields.
ConnectorResult<std::string_view> required(const Fields& fields, std::string_view name) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> value, single(fields, name));
  if (!value || value->empty()) return missing(name);
  return *value;
}

// A Twilio SID ("SM" + 32 hex, "AC…", "MM…"): letters and digits only, which also keeps the
// idempotency key unambiguous. The exact shape is not enforced: Twilio may add prefixes.
bool isSid(std::string_view s) {
  if (s.empty() || s.size() > kMaxSidBytes) return false;
  for (char c : s) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum) return false;
  }
  return true;
}

// A phone field in E.164; `whatsapp` says whether the "whatsapp:" prefix is expected (and
// removed) or refused.
ConnectorResult<std::string> phone(const Fields& fields, std::string_view name, bool whatsapp) {
  SB_ASSIGN_OR_RETURN(std::string_view raw, required(fields, name));
  if (whatsapp) {
    if (!raw.starts_with(SmsConnector::kWhatsAppPrefix)) {
      return invalid(name, "must be a whatsapp: address like From");
    }
    raw.remove_prefix(SmsConnector::kWhatsAppPrefix.size());
  }
  std::optional<std::string> e164 = normalizeE164(raw);
  if (!e164) return invalid(name, "is not an E.164 phone number");
  return std::move(*e164);
}

ConnectorResult<size_t> numMedia(const Fields& fields) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> raw, single(fields, "NumMedia"));
  if (!raw) return size_t{0};
  size_t count = 0;
  auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), count);
  if (raw->empty() || ec != std::errc() || end != raw->data() + raw->size()) {
    return invalid("NumMedia", "is not a number");
  }
  if (count > SmsConnector::kMaxMedia) return invalid("NumMedia", "is larger than 10");
  return count;
}

ConnectorResult<void> attachments(const Fields& fields, size_t count,
                                  google::protobuf::RepeatedPtrField<v1::Attachment>& out) {
  for (size_t i = 0; i < count; ++i) {
    std::string url_field = "MediaUrl" + std::to_string(i);
    std::string type_field = "MediaContentType" + std::to_string(i);
    SB_ASSIGN_OR_RETURN(std::string_view url, required(fields, url_field));
    if (url.size() > kMaxUrlBytes || !(url.starts_with("https://") || url.starts_with("http://")) ||
        url.find(' ') != std::string_view::npos || hasControlChars(url)) {
      return invalid(url_field, "is not an http(s) URL of at most 2048 bytes");
    }
    SB_ASSIGN_OR_RETURN(std::optional<std::string_view> type, single(fields, type_field));
    if (type && (type->size() > kMaxContentTypeBytes || hasControlChars(*type))) {
      return invalid(type_field, "must be at most 255 printable bytes");
    }
    v1::Attachment* attachment = out.Add();
    attachment->set_url(std::string(url));
    if (type) attachment->set_content_type(std::string(*type));
  }
  return {};
}

// Provider metadata, not the customer's words: a value that does not fit is left out rather
// than losing the message over it.
void locationAttributes(const Fields& fields,
                        google::protobuf::Map<std::string, std::string>& out) {
  for (std::string_view name : kLocationFields) {
    std::optional<std::string_view> value = formValue(fields, name);
    if (!value || value->empty() || value->size() > kMaxLocationBytes || hasControlChars(*value) ||
        formCount(fields, name) > 1) {
      continue;
    }
    out[std::string(name)] = std::string(*value);
  }
}

std::string withQuery(std::string_view url, std::string_view query) {
  std::string out(url);
  if (!query.empty()) {
    out += '?';
    out += query;
  }
  return out;
}

http::Response acceptedResponse() {
  http::Response response;
  response.status = 200;
  response.content_type = "text/xml";
  response.body = std::string(SmsConnector::kEmptyTwiml);
  return response;
}

}  // namespace

Status validateSmsSettings(const SmsSettings& settings) {
  if (!settings.isEnabled()) return okStatus();
  if (settings.auth_token.empty()) {
    return makeError(Errc::kConfig, "sms connector: enabled but no Twilio auth token is set");
  }
  std::string_view url = settings.public_url;
  size_t scheme_end = url.starts_with("https://") ? 8 : url.starts_with("http://") ? 7 : 0;
  if (scheme_end == 0 || url.size() == scheme_end || url[scheme_end] == '/' ||
      url.find_first_of("?# \t\r\n") != std::string_view::npos) {
    return makeError(Errc::kConfig,
                     "sms connector: public_url must be the absolute http(s) URL configured in "
                     "Twilio, without query or fragment");
  }
  return okStatus();
}

SmsConnector::SmsConnector(SmsSettings settings)
    : settings_(std::move(settings)),
      alternate_public_url_(withOtherDefaultPortForm(settings_.public_url)) {}

std::vector<Route> SmsConnector::routes() const {
  return {Route{"POST", std::string(kPath)}};
}

ConnectorResult<NormalizedBatch> SmsConnector::normalize(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  if (auto rejected = rejectUnlessMediaType(request, "application/x-www-form-urlencoded"))
    return *rejected;
  if (auto rejected = rejectIfLargerThan(request, settings_.max_body_bytes)) return *rejected;
  std::optional<std::string_view> signature = request.header(kSignatureHeader);
  if (!signature || signature->empty()) {
    return Rejection(Errc::kUnauthenticated, kMissingSignature,
                     "the X-Twilio-Signature header is required");
  }
  Result<Fields> parsed = parseFormUrlencoded(request.body);
  if (!parsed) return Rejection(Errc::kMalformedInput, kMalformedForm, parsed.error().message());
  const Fields& fields = *parsed;

  // Every candidate URL is checked, so that the time taken does not say which one matched.
  Result<std::string> expected =
      twilioSignature(settings_.auth_token, withQuery(settings_.public_url, request.query), fields);
  if (!expected) return Rejection(Errc::kInternal, kInternal, "could not compute the signature");
  bool valid = signatureMatches(*expected, *signature);
  if (alternate_public_url_) {
    Result<std::string> alternate = twilioSignature(
        settings_.auth_token, withQuery(*alternate_public_url_, request.query), fields);
    if (!alternate) return Rejection(Errc::kInternal, kInternal, "could not compute the signature");
    bool alternate_valid = signatureMatches(*alternate, *signature);
    valid = valid || alternate_valid;
  }
  if (!valid) {
    return Rejection(Errc::kForbidden, kBadSignature,
                     "X-Twilio-Signature does not match the request and the configured URL");
  }

  SB_ASSIGN_OR_RETURN(std::string_view message_sid, required(fields, "MessageSid"));
  if (!isSid(message_sid)) return invalid("MessageSid", "must be 1 to 64 letters and digits");
  SB_ASSIGN_OR_RETURN(std::string_view from, required(fields, "From"));
  const bool whatsapp = from.starts_with(kWhatsAppPrefix);
  const v1::Channel channel = whatsapp ? v1::CHANNEL_WHATSAPP : v1::CHANNEL_SMS;
  SB_ASSIGN_OR_RETURN(std::string sender_number, phone(fields, "From", whatsapp));
  SB_ASSIGN_OR_RETURN(std::string recipient_number, phone(fields, "To", whatsapp));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> account_sid, single(fields, "AccountSid"));
  if (account_sid && !account_sid->empty() && !isSid(*account_sid)) {
    return invalid("AccountSid", "must be 1 to 64 letters and digits");
  }
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> body, single(fields, "Body"));
  SB_ASSIGN_OR_RETURN(size_t media_count, numMedia(fields));

  NormalizedBatch batch;
  v1::InboundMessage& message = batch.messages.emplace_back();
  SB_RETURN_IF_ERROR(attachments(fields, media_count, *message.mutable_attachments()));
  locationAttributes(fields, *message.mutable_attributes());

  message.set_channel(channel);
  message.set_provider(std::string(kProvider));
  v1::Address* sender = message.mutable_sender();
  sender->set_channel(channel);
  sender->set_value(std::move(sender_number));
  v1::Address* recipient = message.mutable_recipient();
  recipient->set_channel(channel);
  recipient->set_value(std::move(recipient_number));
  if (account_sid) recipient->set_account_id(std::string(*account_sid));
  if (body) message.set_text(std::string(*body));
  message.set_provider_message_id(std::string(message_sid));

  v1::Envelope* envelope = message.mutable_envelope();
  std::string idempotency_key = "sms:twilio:";
  idempotency_key += message_sid;
  envelope->set_event_id(crypto::derivedId("in-", idempotency_key, 32));
  envelope->set_idempotency_key(std::move(idempotency_key));
  envelope->set_trace_id(traceIdOrRandom(request.header("traceparent")));
  setTimestamp(now, envelope->mutable_received_at());
  setTimestamp(now, envelope->mutable_created_at());
  envelope->set_producer(std::string(kProducer));

  batch.accepted = acceptedResponse();
  return batch;
}

Status registerSmsConnector(ConnectorRegistry& registry, const SmsSettings& settings) {
  if (!settings.isEnabled()) return okStatus();
  SB_RETURN_IF_ERROR(validateSmsSettings(settings));
  return registry.add(std::make_unique<SmsConnector>(settings));
}

}  // namespace switchboard::connectors::sms
