#include "connectors/telegram/telegram_connector.h"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include <openssl/crypto.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "connectors/common/rejection_reasons.h"
#include "connectors/common/request_checks.h"
#include "core/crypto/digest.h"
#include "core/http/media_type.h"
#include "core/ids.h"

namespace switchboard::connectors::telegram {
namespace {

namespace json = boost::json;

// Rejection reasons: metric labels and DeadLetter reasons, so a fixed set.
using reasons::kBadSignature;
using reasons::kMalformedJson;
using reasons::kMissingSignature;

// Notices: updates answered 200 that produce nothing, one per update. A fixed set (they are
// metric labels): Telegram's update kinds, plus what we make of some messages.
constexpr std::string_view kMessage = "message";
constexpr std::string_view kEditedMessage = "edited_message";
constexpr std::array<std::string_view, 23> kUpdateKinds = {
    kMessage,
    kEditedMessage,
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
};
constexpr std::string_view kBot = "bot";  // from.is_bot: another bot, or an anonymous admin
// A kind newer than this code, or a message with neither text nor a file (location, contact,
// poll, dice, members joining, pins ...). Same word as the other connectors use.
constexpr std::string_view kUnsupported = "unsupported";

// Message fields holding one File-like object (file_id, file_size, mime_type, file_name).
// `animation` comes first: Telegram also sets `document` on animations, for old clients.
constexpr std::array<std::string_view, 7> kFileFields = {
    "animation", "document", "video", "video_note", "audio", "voice", "sticker",
};

constexpr size_t kMaxSecretTokenBytes = 256;
constexpr size_t kMaxLanguageBytes = 35;

// Telegram's ids are integers up to 52 bits (chat ids are negative for groups); they travel as
// their decimal text.
ConnectorResult<std::string> requiredId(const json::object& object, std::string_view field,
                                        const std::string& path) {
  const json::value* v = object.if_contains(field);
  if (v == nullptr || v->is_null()) return missingField(path);
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return invalidField(path, "must be an integer");
}

ConnectorResult<std::optional<int64_t>> optionalInt64(const json::object& object,
                                                      std::string_view field,
                                                      const std::string& path) {
  const json::value* v = object.if_contains(field);
  if (v == nullptr || v->is_null()) return std::optional<int64_t>();
  if (v->is_int64()) return std::optional<int64_t>(v->get_int64());
  if (v->is_uint64() && v->get_uint64() <= uint64_t{std::numeric_limits<int64_t>::max()}) {
    return std::optional<int64_t>(static_cast<int64_t>(v->get_uint64()));
  }
  return invalidField(path, "must be an integer");
}

ConnectorResult<std::optional<std::string_view>> optionalString(const json::object& object,
                                                                std::string_view field,
                                                                const std::string& path) {
  const json::value* v = object.if_contains(field);
  if (v == nullptr || v->is_null()) return std::optional<std::string_view>();
  const json::string* s = v->if_string();
  if (s == nullptr) return invalidField(path, "must be a string");
  return std::optional<std::string_view>(std::string_view(*s));
}

// nullptr when absent.
ConnectorResult<const json::object*> optionalObject(const json::object& object,
                                                    std::string_view field,
                                                    const std::string& path) {
  const json::value* v = object.if_contains(field);
  if (v == nullptr || v->is_null()) return static_cast<const json::object*>(nullptr);
  const json::object* o = v->if_object();
  if (o == nullptr) return invalidField(path, "must be an object");
  return o;
}

ConnectorResult<const json::object*> requiredObject(const json::object& object,
                                                    std::string_view field,
                                                    const std::string& path) {
  SB_ASSIGN_OR_RETURN(const json::object* o, optionalObject(object, field, path));
  if (o == nullptr) return missingField(path);
  return o;
}

// The update's kind: its one member besides update_id. An update with none this code knows
// (Telegram adds kinds now and then) is kUnsupported, so notices stay a fixed set.
std::string_view updateKind(const json::object& update) {
  for (const auto& member : update) {
    for (std::string_view kind : kUpdateKinds) {
      if (member.key() == kind) return kind;
    }
  }
  return kUnsupported;
}

// A File-like object (Document, Voice, Audio, ...) as attachment metadata; the bytes stay with
// Telegram until someone calls getFile with the file_id.
ConnectorResult<v1::Attachment> fileAttachment(const json::object& file, const std::string& path) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> file_id,
                      optionalString(file, "file_id", jsonPath(path, "file_id")));
  if (!file_id || file_id->empty()) return missingField(jsonPath(path, "file_id"));
  SB_ASSIGN_OR_RETURN(std::optional<int64_t> size,
                      optionalInt64(file, "file_size", jsonPath(path, "file_size")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> mime_type,
                      optionalString(file, "mime_type", jsonPath(path, "mime_type")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> file_name,
                      optionalString(file, "file_name", jsonPath(path, "file_name")));
  v1::Attachment attachment;
  attachment.set_url("tg-file:" + std::string(*file_id));
  if (size && *size > 0) attachment.set_size_bytes(static_cast<uint64_t>(*size));
  if (mime_type) attachment.set_content_type(std::string(*mime_type));
  if (file_name) attachment.set_name(std::string(*file_name));
  return attachment;
}

// `photo` is every size Telegram made of one picture: the largest one stands for it.
ConnectorResult<std::optional<v1::Attachment>> photoAttachment(const json::object& message,
                                                               const std::string& path) {
  const json::value* v = message.if_contains("photo");
  if (v == nullptr || v->is_null()) return std::optional<v1::Attachment>();
  const json::array* sizes = v->if_array();
  if (sizes == nullptr) return invalidField(path, "must be an array");
  const json::object* largest = nullptr;
  int64_t largest_area = -1;
  for (const json::value& size : *sizes) {
    const json::object* photo_size = size.if_object();
    if (photo_size == nullptr) return invalidField(path, "must hold PhotoSize objects");
    SB_ASSIGN_OR_RETURN(std::optional<int64_t> width,
                        optionalInt64(*photo_size, "width", jsonPath(path, "width")));
    SB_ASSIGN_OR_RETURN(std::optional<int64_t> height,
                        optionalInt64(*photo_size, "height", jsonPath(path, "height")));
    int64_t area =
        (width && height && *width > 0 && *height > 0 && *width < (1 << 20) && *height < (1 << 20))
            ? *width * *height
            : 0;
    if (area >= largest_area) {  // ties: the later one, as Telegram lists sizes ascending
      largest = photo_size;
      largest_area = area;
    }
  }
  if (largest == nullptr) return std::optional<v1::Attachment>();
  SB_ASSIGN_OR_RETURN(v1::Attachment attachment, fileAttachment(*largest, path));
  return std::optional<v1::Attachment>(std::move(attachment));
}

ConnectorResult<void> attachments(const json::object& message, std::string_view kind,
                                  google::protobuf::RepeatedPtrField<v1::Attachment>& out) {
  SB_ASSIGN_OR_RETURN(std::optional<v1::Attachment> photo,
                      photoAttachment(message, jsonPath(kind, "photo")));
  if (photo) *out.Add() = std::move(*photo);
  bool animation = false;
  for (std::string_view field : kFileFields) {
    if (field == "document" && animation) continue;
    std::string path = jsonPath(kind, field);
    SB_ASSIGN_OR_RETURN(const json::object* file, optionalObject(message, field, path));
    if (file == nullptr) continue;
    animation = animation || field == "animation";
    SB_ASSIGN_OR_RETURN(v1::Attachment attachment, fileAttachment(*file, path));
    *out.Add() = std::move(attachment);
  }
  return {};
}

bool isLanguageTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxLanguageBytes) return false;
  for (char c : tag) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

http::Response answer(json::object body) {
  http::Response response;
  response.status = 200;
  // Telegram would execute a Bot API call named by a "method" member; ours never has one.
  response.body = json::serialize(body);
  return response;
}

NormalizedBatch notice(std::string_view kind) {
  json::object body;
  body["status"] = "ignored";
  body["notice"] = kind;
  NormalizedBatch batch;
  batch.notices.push_back(kind);
  batch.accepted = answer(std::move(body));
  return batch;
}

}  // namespace

Status validateTelegramSettings(const TelegramSettings& settings) {
  const std::string& token = settings.secret_token;
  if (token.empty() || token.size() > kMaxSecretTokenBytes ||
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
          std::string::npos) {
    return makeError(Errc::kConfig,
                     "the Telegram secret token must have 1 to 256 characters A-Z a-z 0-9 _ -");
  }
  if (!settings.bot_id.empty() && !isDigits(settings.bot_id)) {
    return makeError(Errc::kConfig,
                     "the Telegram bot id must be the digits before ':' in the bot token");
  }
  return okStatus();
}

TelegramConnector::TelegramConnector(TelegramSettings settings)
    : secret_digest_(crypto::sha256Hex(settings.secret_token)),
      bot_id_(std::move(settings.bot_id)),
      max_body_bytes_(settings.max_body_bytes) {}

std::vector<Route> TelegramConnector::routes() const {
  return {Route{"POST", std::string(kPath)}};
}

bool TelegramConnector::secretMatches(std::string_view presented) const {
  // Comparing digests keeps the time independent of where, and whether in length, they differ.
  std::string digest = crypto::sha256Hex(presented);
  return CRYPTO_memcmp(digest.data(), secret_digest_.data(), secret_digest_.size()) == 0;
}

ConnectorResult<NormalizedBatch> TelegramConnector::normalize(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  std::optional<std::string_view> token = request.header(kSecretHeader);
  if (!token || token->empty()) {
    return Rejection(Errc::kUnauthenticated, kMissingSignature,
                     "the X-Telegram-Bot-Api-Secret-Token header is required");
  }
  if (!secretMatches(*token)) {
    return Rejection(Errc::kForbidden, kBadSignature,
                     "X-Telegram-Bot-Api-Secret-Token does not match the configured secret");
  }
  if (auto rejected = rejectIfLargerThan(request, max_body_bytes_)) return *rejected;
  if (auto rejected = rejectUnlessMediaType(request, "application/json")) return *rejected;

  // Most updates fit the stack buffer, so parsing allocates nothing.
  std::array<unsigned char, 4096> arena;
  json::monotonic_resource resource(arena.data(), arena.size());
  boost::system::error_code ec;
  json::value parsed = json::parse(request.body, ec, &resource);
  if (ec) return Rejection(Errc::kMalformedInput, kMalformedJson, "invalid JSON: " + ec.message());
  const json::object* update = parsed.if_object();
  if (update == nullptr) {
    return Rejection(Errc::kMalformedInput, kMalformedJson, "the body must be a JSON object");
  }
  SB_ASSIGN_OR_RETURN(std::string update_id, requiredId(*update, "update_id", "update_id"));

  const std::string_view kind = updateKind(*update);
  if (kind != kMessage && kind != kEditedMessage) return notice(kind);
  const std::string path(kind);
  SB_ASSIGN_OR_RETURN(const json::object* m, requiredObject(*update, kind, path));

  SB_ASSIGN_OR_RETURN(const json::object* from, requiredObject(*m, "from", jsonPath(path, "from")));
  const json::value* is_bot = from->if_contains("is_bot");
  if (is_bot != nullptr && !is_bot->is_null() && !is_bot->is_bool()) {
    return invalidField(jsonPath(path, "from.is_bot"), "must be a boolean");
  }
  if (is_bot != nullptr && is_bot->is_bool() && is_bot->get_bool()) return notice(kBot);
  SB_ASSIGN_OR_RETURN(std::string from_id, requiredId(*from, "id", jsonPath(path, "from.id")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> first_name,
                      optionalString(*from, "first_name", jsonPath(path, "from.first_name")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> last_name,
                      optionalString(*from, "last_name", jsonPath(path, "from.last_name")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> username,
                      optionalString(*from, "username", jsonPath(path, "from.username")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> language_code,
                      optionalString(*from, "language_code", jsonPath(path, "from.language_code")));

  SB_ASSIGN_OR_RETURN(const json::object* chat, requiredObject(*m, "chat", jsonPath(path, "chat")));
  SB_ASSIGN_OR_RETURN(std::string chat_id, requiredId(*chat, "id", jsonPath(path, "chat.id")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> chat_type,
                      optionalString(*chat, "type", jsonPath(path, "chat.type")));
  SB_ASSIGN_OR_RETURN(std::string message_id,
                      requiredId(*m, "message_id", jsonPath(path, "message_id")));
  SB_ASSIGN_OR_RETURN(std::optional<int64_t> date,
                      optionalInt64(*m, "date", jsonPath(path, "date")));
  if (!date) return missingField(jsonPath(path, "date"));
  SB_ASSIGN_OR_RETURN(std::optional<int64_t> edit_date,
                      optionalInt64(*m, "edit_date", jsonPath(path, "edit_date")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> text,
                      optionalString(*m, "text", jsonPath(path, "text")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> caption,
                      optionalString(*m, "caption", jsonPath(path, "caption")));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> media_group_id,
                      optionalString(*m, "media_group_id", jsonPath(path, "media_group_id")));
  SB_ASSIGN_OR_RETURN(const json::object* reply_to,
                      optionalObject(*m, "reply_to_message", jsonPath(path, "reply_to_message")));
  std::optional<std::string> reply_to_id;
  if (reply_to != nullptr) {
    SB_ASSIGN_OR_RETURN(reply_to_id, requiredId(*reply_to, "message_id",
                                                jsonPath(path, "reply_to_message.message_id")));
  }

  NormalizedBatch batch;
  v1::InboundMessage message;
  SB_RETURN_IF_ERROR(attachments(*m, kind, *message.mutable_attachments()));
  std::string_view body_text = text ? *text : (caption ? *caption : std::string_view());
  // Stickers count as files; locations, contacts, polls, dice and service messages (members
  // joining, pins ...) carry nothing an agent could answer here.
  if (body_text.empty() && message.attachments_size() == 0) return notice(kUnsupported);

  message.set_channel(v1::CHANNEL_TELEGRAM);
  message.set_provider(std::string(kProvider));
  v1::Address* sender = message.mutable_sender();
  sender->set_channel(v1::CHANNEL_TELEGRAM);
  sender->set_value("tg:" + from_id);
  std::string display_name(first_name.value_or(""));
  if (last_name && !last_name->empty()) {
    if (!display_name.empty()) display_name += ' ';
    display_name += *last_name;
  }
  if (display_name.empty() && username) display_name = *username;
  sender->set_display_name(std::move(display_name));
  if (!bot_id_.empty()) {
    v1::Address* recipient = message.mutable_recipient();
    recipient->set_channel(v1::CHANNEL_TELEGRAM);
    recipient->set_value("tg:" + bot_id_);
    recipient->set_account_id(bot_id_);
  }
  message.mutable_thread()->set_provider_conversation_id(chat_id);
  if (reply_to_id) message.mutable_thread()->set_in_reply_to(chat_id + ":" + *reply_to_id);
  message.set_text(std::string(body_text));
  if (language_code && isLanguageTag(*language_code)) {
    message.set_language(std::string(*language_code));
  }
  message.set_provider_message_id(chat_id + ":" + message_id);
  message.mutable_sent_at()->set_seconds(*date);

  auto& attributes = *message.mutable_attributes();
  if (chat_type && !chat_type->empty()) attributes["chat_type"] = std::string(*chat_type);
  if (username && !username->empty()) attributes["username"] = std::string(*username);
  if (media_group_id && !media_group_id->empty()) {
    attributes["media_group_id"] = std::string(*media_group_id);
  }
  if (kind == kEditedMessage) {
    attributes["edited"] = "true";
    if (edit_date) attributes["edit_date"] = std::to_string(*edit_date);
  }

  v1::Envelope* envelope = message.mutable_envelope();
  std::string idempotency_key = "telegram:";
  if (!bot_id_.empty()) {
    idempotency_key += bot_id_;
    idempotency_key += ':';
  }
  idempotency_key += update_id;
  envelope->set_event_id(crypto::derivedId("in-", idempotency_key, 32));
  envelope->set_idempotency_key(idempotency_key);
  envelope->set_trace_id(traceIdOrRandom(request.header("traceparent")));
  setTimestamp(now, envelope->mutable_received_at());
  setTimestamp(now, envelope->mutable_created_at());
  envelope->set_producer(std::string(kProducer));

  json::object body;
  body["status"] = "accepted";
  body["event_id"] = envelope->event_id();
  body["idempotency_key"] = idempotency_key;
  batch.accepted = answer(std::move(body));
  batch.messages.push_back(std::move(message));
  return batch;
}

Status registerTelegramConnector(ConnectorRegistry& registry, const TelegramSettings& settings) {
  if (settings.secret_token.empty()) return okStatus();
  SB_RETURN_IF_ERROR(validateTelegramSettings(settings));
  return registry.add(std::make_unique<TelegramConnector>(settings));
}

}  // namespace switchboard::connectors::telegram
