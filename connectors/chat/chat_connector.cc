#include "connectors/chat/chat_connector.h"

#include <array>
#include <cctype>
#include <optional>
#include <string>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "connectors/common/rejection_reasons.h"
#include "connectors/common/request_checks.h"
#include "core/crypto/digest.h"
#include "core/http/media_type.h"
#include "core/ids.h"

namespace switchboard::connectors::chat {
namespace {

namespace json = boost::json;

// Rejection reasons: metric labels and DeadLetter reasons, so a fixed set.
using reasons::kInvalidField;
using reasons::kMalformedJson;
using reasons::kMissingField;
constexpr std::string_view kEmptyText = "empty_text";
constexpr std::string_view kTextTooLarge = "text_too_large";
constexpr std::string_view kTooManyAttributes = "too_many_attributes";
constexpr std::string_view kInvalidAttribute = "invalid_attribute";

// Field limits, in bytes. Generous for real clients, small enough to keep records compact.
constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxNameBytes = 256;
constexpr size_t kMaxEmailBytes = 254;  // RFC 5321 path limit
constexpr size_t kMaxLanguageBytes = 35;
constexpr size_t kMaxAttributeKeyBytes = 64;
constexpr size_t kMaxAttributeValueBytes = 1024;

Rejection invalid(std::string_view field, std::string_view what) {
  std::string detail(field);
  detail += ' ';
  detail += what;
  return Rejection(Errc::kMalformedInput, kInvalidField, std::move(detail));
}

bool hasControlChars(std::string_view s) {
  for (char c : s) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

bool isBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Boost.JSON has already checked that strings are valid UTF-8.
size_t codePoints(std::string_view s) {
  size_t count = 0;
  for (char c : s) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

// An optional string member: absent or null gives nullopt, any other type is refused.
ConnectorResult<std::optional<std::string_view>> optionalString(const json::object& body,
                                                                std::string_view field) {
  const json::value* v = body.if_contains(field);
  if (v == nullptr || v->is_null()) return std::optional<std::string_view>();
  const json::string* s = v->if_string();
  if (s == nullptr) return invalid(field, "must be a string");
  return std::optional<std::string_view>(std::string_view(*s));
}

ConnectorResult<std::string_view> requiredString(const json::object& body, std::string_view field) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> value, optionalString(body, field));
  if (!value) {
    return Rejection(Errc::kMissingField, kMissingField, std::string(field) + " is required");
  }
  return *value;
}

// An identifier: non-empty, bounded, printable.
ConnectorResult<std::optional<std::string_view>> optionalId(const json::object& body,
                                                            std::string_view field) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> value, optionalString(body, field));
  if (!value) return value;
  if (value->empty()) return invalid(field, "must not be empty");
  if (value->size() > kMaxIdBytes) return invalid(field, "is longer than 128 bytes");
  if (hasControlChars(*value)) return invalid(field, "contains control characters");
  return value;
}

ConnectorResult<std::string_view> visitorId(const json::object& body) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> value, optionalId(body, "visitor_id"));
  if (!value) return Rejection(Errc::kMissingField, kMissingField, "visitor_id is required");
  // The idempotency key is "chat:<visitor_id>:<message_id>": a ':' in the visitor id would
  // let two different (visitor, message) pairs produce the same key.
  if (value->find_first_of(": ") != std::string_view::npos) {
    return invalid("visitor_id", "must not contain ':' or spaces");
  }
  return *value;
}

ConnectorResult<std::optional<std::string>> email(const json::object& body) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> value, optionalString(body, "email"));
  if (!value || value->empty()) return std::optional<std::string>();
  size_t at = value->find('@');
  if (value->size() > kMaxEmailBytes || at == 0 || at == std::string_view::npos ||
      at + 1 == value->size() || value->find('@', at + 1) != std::string_view::npos ||
      value->find_first_of(" \t") != std::string_view::npos || hasControlChars(*value)) {
    return invalid("email", "is not an email address");
  }
  std::string lowered(*value);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::optional<std::string>(std::move(lowered));
}

ConnectorResult<std::optional<std::string_view>> language(const json::object& body) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> value, optionalString(body, "language"));
  if (!value || value->empty()) return std::optional<std::string_view>();
  bool ok =
      value->size() <= kMaxLanguageBytes && std::isalpha(static_cast<unsigned char>((*value)[0]));
  for (char c : *value) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  if (!ok) return invalid("language", "is not a BCP 47 language tag");
  return value;
}

ConnectorResult<void> attributes(const json::object& body, size_t max_attributes,
                                 google::protobuf::Map<std::string, std::string>& out) {
  const json::value* v = body.if_contains("attributes");
  if (v == nullptr || v->is_null()) return {};
  const json::object* attributes = v->if_object();
  if (attributes == nullptr) return invalid("attributes", "must be an object");
  if (attributes->size() > max_attributes) {
    return Rejection(Errc::kTooLarge, kTooManyAttributes,
                     "attributes has " + std::to_string(attributes->size()) + " entries; at most " +
                         std::to_string(max_attributes) + " are allowed");
  }
  for (const auto& [key, value] : *attributes) {
    // The name is checked first: it is quoted in the other answers.
    if (key.empty() || key.size() > kMaxAttributeKeyBytes || hasControlChars(key)) {
      return Rejection(Errc::kMalformedInput, kInvalidAttribute,
                       "attribute names must have 1 to 64 printable bytes");
    }
    const json::string* s = value.if_string();
    if (s == nullptr) {
      return Rejection(Errc::kMalformedInput, kInvalidAttribute,
                       "attributes." + std::string(key) + " must be a string");
    }
    if (s->size() > kMaxAttributeValueBytes) {
      return Rejection(Errc::kTooLarge, kInvalidAttribute,
                       "attributes." + std::string(key) + " is longer than 1024 bytes");
    }
    out[std::string(key)] = std::string(*s);
  }
  return {};
}

http::Response acceptedResponse(const v1::Envelope& envelope, std::string_view message_id,
                                bool generated) {
  json::object body;
  body["status"] = "accepted";
  body["event_id"] = envelope.event_id();
  body["idempotency_key"] = envelope.idempotency_key();
  body["message_id"] = message_id;
  body["message_id_generated"] = generated;
  if (generated) {
    body["warning"] = "no message_id was sent: a retry of this request cannot be recognised";
  }
  http::Response response;
  response.status = 202;
  response.body = json::serialize(body);
  return response;
}

}  // namespace

std::vector<Route> ChatConnector::routes() const {
  return {Route{"POST", std::string(kPath)}};
}

ConnectorResult<NormalizedBatch> ChatConnector::normalize(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  if (auto rejected = rejectUnlessMediaType(request, "application/json")) return *rejected;
  if (auto rejected = rejectIfLargerThan(request, settings_.max_body_bytes)) return *rejected;

  // Parse into a stack buffer first: most chat bodies fit, so parsing allocates nothing.
  std::array<unsigned char, 4096> arena;
  json::monotonic_resource resource(arena.data(), arena.size());
  boost::system::error_code ec;
  json::value parsed = json::parse(request.body, ec, &resource);
  if (ec) return Rejection(Errc::kMalformedInput, kMalformedJson, "invalid JSON: " + ec.message());
  const json::object* body = parsed.if_object();
  if (body == nullptr) {
    return Rejection(Errc::kMalformedInput, kMalformedJson, "the body must be a JSON object");
  }

  SB_ASSIGN_OR_RETURN(std::string_view visitor_id, visitorId(*body));
  SB_ASSIGN_OR_RETURN(std::string_view text, requiredString(*body, "text"));
  if (isBlank(text)) return Rejection(Errc::kInvalidArgument, kEmptyText, "text is empty");
  if (codePoints(text) > settings_.max_text_chars) {
    return Rejection(
        Errc::kTooLarge, kTextTooLarge,
        "text is longer than " + std::to_string(settings_.max_text_chars) + " characters");
  }
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> message_id, optionalId(*body, "message_id"));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> session_id, optionalId(*body, "session_id"));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> name, optionalString(*body, "name"));
  if (name && (name->size() > kMaxNameBytes || hasControlChars(*name))) {
    return invalid("name", "must be at most 256 printable bytes");
  }
  SB_ASSIGN_OR_RETURN(std::optional<std::string> email_address, email(*body));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> language_tag, language(*body));

  NormalizedBatch batch;
  v1::InboundMessage& message = batch.messages.emplace_back();
  SB_RETURN_IF_ERROR(attributes(*body, settings_.max_attributes, *message.mutable_attributes()));
  if (email_address) (*message.mutable_attributes())["email"] = std::move(*email_address);

  bool generated = !message_id.has_value();
  std::string effective_message_id = generated ? randomUuid() : std::string(*message_id);

  message.set_channel(v1::CHANNEL_CHAT);
  message.set_provider(std::string(kProvider));
  v1::Address* sender = message.mutable_sender();
  sender->set_channel(v1::CHANNEL_CHAT);
  std::string sender_value = "chat:";
  sender_value += visitor_id;
  sender->set_value(sender_value);
  if (name && !name->empty()) sender->set_display_name(std::string(*name));
  if (session_id) message.mutable_thread()->set_provider_conversation_id(std::string(*session_id));
  message.set_text(std::string(text));
  if (language_tag) message.set_language(std::string(*language_tag));
  message.set_provider_message_id(effective_message_id);

  v1::Envelope* envelope = message.mutable_envelope();
  std::string idempotency_key = std::move(sender_value);
  idempotency_key += ':';
  idempotency_key += effective_message_id;
  envelope->set_event_id(crypto::derivedId("in-", idempotency_key, 32));
  envelope->set_idempotency_key(std::move(idempotency_key));
  envelope->set_trace_id(traceIdOrRandom(request.header("traceparent")));
  setTimestamp(now, envelope->mutable_received_at());
  setTimestamp(now, envelope->mutable_created_at());
  envelope->set_producer(std::string(kProducer));

  batch.accepted = acceptedResponse(*envelope, effective_message_id, generated);
  return batch;
}

Status registerChatConnector(ConnectorRegistry& registry, const ChatSettings& settings) {
  if (!settings.enabled) return okStatus();
  return registry.add(std::make_unique<ChatConnector>(settings));
}

}  // namespace switchboard::connectors::chat
