#include "connectors/x/x_connector.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "connectors/common/form_urlencoded.h"
#include "connectors/common/rejection_reasons.h"
#include "connectors/common/request_checks.h"
#include "connectors/x/x_signature.h"
#include "core/crypto/digest.h"
#include "core/http/media_type.h"
#include "core/ids.h"

namespace switchboard::connectors::x {
namespace {

namespace json = boost::json;

// Rejection reasons: metric labels and DeadLetter reasons, so a fixed set.
using reasons::kBadSignature;
using reasons::kInvalidField;
using reasons::kMalformedJson;
using reasons::kMissingField;
using reasons::kMissingSignature;

// Notices: activity answered 200 that produces nothing, one per event. A fixed set (they are
// metric labels), worded like the other connectors' where the meaning is the same.
constexpr std::string_view kDirectMessageEvents = "direct_message_events";
struct ActivityKind {
  std::string_view member;  // in the payload
  std::string_view notice;
};
constexpr std::array<ActivityKind, 12> kActivityKinds = {{
    {"tweet_create_events", "tweet"},
    {"tweet_delete_events", "tweet_delete"},
    {"favorite_events", "favorite"},
    {"follow_events", "follow"},
    {"unfollow_events", "unfollow"},
    {"block_events", "block"},
    {"unblock_events", "unblock"},
    {"mute_events", "mute"},
    {"unmute_events", "unmute"},
    {"user_event", "user_event"},  // the user revoked the app's access
    {"direct_message_indicate_typing_events", "typing"},
    {"direct_message_mark_read_events", "read"},
}};
constexpr std::string_view kEcho = "echo";  // a DM our account (for_user_id) sent
// Activity or a DM event type newer than this code, or a DM with no text and no media.
constexpr std::string_view kUnsupported = "unsupported";

// Members of the payload that describe the activity rather than being one.
constexpr std::array<std::string_view, 6> kContextMembers = {
    "for_user_id", "users", "apps", "user_has_blocked", "is_blocked_by", "source",
};

ConnectorResult<std::optional<std::string_view>> optionalString(const json::object& object,
                                                                std::string_view field,
                                                                const std::string& path) {
  const json::value* v = object.if_contains(field);
  if (v == nullptr || v->is_null()) return std::optional<std::string_view>();
  const json::string* s = v->if_string();
  if (s == nullptr) return invalidField(path, "must be a string");
  return std::optional<std::string_view>(std::string_view(*s));
}

// X's ids are 64-bit integers sent as decimal strings ("id_str" style).
ConnectorResult<std::string_view> requiredId(const json::object& object, std::string_view field,
                                             const std::string& path) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> id, optionalString(object, field, path));
  if (!id || id->empty()) return missingField(path);
  if (!isDigits(*id) || id->size() > 20) return invalidField(path, "must be a decimal id string");
  return *id;
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

// A crc_token must not be able to pass for a POST body: the CRC answer is the very HMAC that
// signs POST bodies, so answering any string would let anyone obtain a valid signature for a
// JSON body of their choosing. Real tokens are short base64/UUID-like strings; no JSON object
// can be written with these characters (it needs '{'). ' ' is allowed because '+' in a query
// decodes to it, as in the reference implementations X documents.
bool isAcceptableCrcToken(std::string_view token) {
  if (token.empty() || token.size() > XConnector::kMaxCrcTokenBytes) return false;
  for (char c : token) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=' ||
              c == ' ';
    if (!ok) return false;
  }
  return true;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "1516403560557" (ms since the epoch) into a Timestamp.
bool setMillis(std::string_view millis, google::protobuf::Timestamp* out) {
  if (!isDigits(millis) || millis.size() > 18) return false;
  int64_t ms = 0;
  for (char c : millis) ms = ms * 10 + (c - '0');
  out->set_seconds(ms / 1000);
  out->set_nanos(static_cast<int32_t>(ms % 1000) * 1'000'000);
  return true;
}

// The media type a photo URL's extension names, or "" (X sends no content type for photos).
std::string_view photoContentType(std::string_view url) {
  size_t query = url.find_first_of("?#");
  if (query != std::string_view::npos) url = url.substr(0, query);
  size_t slash = url.rfind('/');
  size_t dot = url.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "";
  std::string extension(url.substr(dot + 1));
  for (char& c : extension) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (extension == "jpg" || extension == "jpeg") return "image/jpeg";
  if (extension == "png") return "image/png";
  if (extension == "gif") return "image/gif";
  if (extension == "webp") return "image/webp";
  return "";
}

// message_data.attachment {"type":"media","media":{<media entity>}} as attachment metadata.
// Videos and GIFs: the highest-bitrate MP4 variant (media_url_https is only their preview
// image). Photos: media_url_https. Fetching either needs the app's OAuth credentials.
// Also returns the media's t.co link, which X appends to the DM text.
ConnectorResult<std::optional<v1::Attachment>> mediaAttachment(const json::object& message_data,
                                                               const std::string& path,
                                                               std::string_view& tco_link) {
  SB_ASSIGN_OR_RETURN(const json::object* attachment,
                      optionalObject(message_data, "attachment", jsonPath(path, "attachment")));
  if (attachment == nullptr) return std::optional<v1::Attachment>();
  std::string attachment_path = jsonPath(path, "attachment");
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> type,
                      optionalString(*attachment, "type", jsonPath(attachment_path, "type")));
  if (type != std::string_view("media")) return std::optional<v1::Attachment>();  // location ...
  std::string media_path = jsonPath(attachment_path, "media");
  SB_ASSIGN_OR_RETURN(const json::object* media, requiredObject(*attachment, "media", media_path));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> tco,
                      optionalString(*media, "url", jsonPath(media_path, "url")));
  if (tco) tco_link = *tco;

  v1::Attachment out;
  SB_ASSIGN_OR_RETURN(const json::object* video_info,
                      optionalObject(*media, "video_info", jsonPath(media_path, "video_info")));
  const json::array* variants = nullptr;
  if (video_info != nullptr) {
    const json::value* v = video_info->if_contains("variants");
    if (v != nullptr && !v->is_null()) {
      variants = v->if_array();
      if (variants == nullptr)
        return invalidField(jsonPath(media_path, "video_info.variants"), "must be an array");
    }
  }
  if (variants != nullptr) {
    int64_t best_bitrate = -1;
    for (const json::value& v : *variants) {
      const json::object* variant = v.if_object();
      if (variant == nullptr) continue;
      const json::value* content_type = variant->if_contains("content_type");
      const json::value* url = variant->if_contains("url");
      if (content_type == nullptr || !content_type->is_string() || url == nullptr ||
          !url->is_string() || content_type->get_string() != "video/mp4") {
        continue;  // HLS playlists and the like
      }
      const json::value* bitrate = variant->if_contains("bitrate");
      int64_t rate = bitrate != nullptr && bitrate->is_int64() ? bitrate->get_int64() : 0;
      if (rate > best_bitrate) {
        best_bitrate = rate;
        out.set_url(std::string(url->get_string()));
        out.set_content_type("video/mp4");
      }
    }
  }
  if (out.url().empty()) {
    SB_ASSIGN_OR_RETURN(
        std::optional<std::string_view> https,
        optionalString(*media, "media_url_https", jsonPath(media_path, "media_url_https")));
    SB_ASSIGN_OR_RETURN(std::optional<std::string_view> http,
                        optionalString(*media, "media_url", jsonPath(media_path, "media_url")));
    std::string_view url = https && !https->empty() ? *https : http.value_or("");
    if (url.empty()) return missingField(jsonPath(media_path, "media_url_https"));
    out.set_url(std::string(url));
    out.set_content_type(std::string(photoContentType(url)));
  }
  return std::optional<v1::Attachment>(std::move(out));
}

http::Response answer(json::object body) {
  http::Response response;
  response.status = 200;
  response.body = json::serialize(body);
  return response;
}

std::string_view activityNotice(std::string_view member) {
  for (const ActivityKind& kind : kActivityKinds) {
    if (member == kind.member) return kind.notice;
  }
  return kUnsupported;
}

// Activity members hold an array of events (user_event: one object).
size_t eventCount(const json::value& member) {
  if (const json::array* events = member.if_array()) return events->size();
  return member.is_object() ? 1 : 0;
}

bool isContextMember(std::string_view key) {
  for (std::string_view member : kContextMembers) {
    if (key == member) return true;
  }
  return false;
}

}  // namespace

std::vector<Route> XConnector::routes() const {
  return {Route{"GET", std::string(kPath)}, Route{"POST", std::string(kPath)}};
}

ConnectorResult<NormalizedBatch> XConnector::normalize(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  if (request.method == "GET") return challenge(request);
  return activity(request, now);
}

ConnectorResult<NormalizedBatch> XConnector::challenge(const http::Request& request) const {
  Result<std::vector<FormField>> fields = parseFormUrlencoded(request.query);
  if (!fields) {
    return Rejection(Errc::kMalformedInput, kInvalidField,
                     "the query string is not valid: " + fields.error().message());
  }
  size_t count = formCount(*fields, "crc_token");
  std::optional<std::string_view> token = formValue(*fields, "crc_token");
  if (count == 0 || !token || token->empty()) {
    return Rejection(Errc::kMissingField, kMissingField, "crc_token is required");
  }
  if (count > 1) return invalidField("crc_token", "must be given once");
  if (!isAcceptableCrcToken(*token)) {
    return invalidField("crc_token", "must be 1 to 256 characters of A-Z a-z 0-9 - _ . ~ + / =");
  }
  json::object body;
  body["response_token"] = webhookSignature(settings_.consumer_secret, *token);
  NormalizedBatch batch;
  batch.accepted = answer(std::move(body));
  return batch;
}

ConnectorResult<NormalizedBatch> XConnector::activity(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  std::optional<std::string_view> signature = request.header(kSignatureHeader);
  if (!signature || trimmed(*signature).empty()) {
    return Rejection(Errc::kUnauthenticated, kMissingSignature,
                     "the x-twitter-webhooks-signature header is required");
  }
  if (auto rejected = rejectIfLargerThan(request, settings_.max_body_bytes)) return *rejected;
  if (!webhookSignatureMatches(settings_.consumer_secret, request.body, trimmed(*signature))) {
    return Rejection(Errc::kForbidden, kBadSignature,
                     "x-twitter-webhooks-signature does not match the body");
  }
  if (auto rejected = rejectUnlessMediaType(request, "application/json")) return *rejected;

  // Parse into a stack buffer first: a DM event with its users map fits, so parsing allocates
  // nothing; bigger activity (tweets with full user objects) continues on the heap.
  std::array<unsigned char, 16384> arena;
  json::monotonic_resource resource(arena.data(), arena.size());
  boost::system::error_code ec;
  json::value parsed = json::parse(request.body, ec, &resource);
  if (ec) return Rejection(Errc::kMalformedInput, kMalformedJson, "invalid JSON: " + ec.message());
  const json::object* root = parsed.if_object();
  if (root == nullptr) {
    return Rejection(Errc::kMalformedInput, kMalformedJson, "the body must be a JSON object");
  }

  NormalizedBatch batch;
  std::vector<std::string_view>& notices = batch.notices;
  const std::string trace_id = traceIdOrRandom(request.header("traceparent"));
  for (const auto& member : *root) {
    std::string_view key = member.key();
    if (isContextMember(key)) continue;
    if (key != kDirectMessageEvents) {
      notices.insert(notices.end(), eventCount(member.value()), activityNotice(key));
      continue;
    }
    const json::array* events = member.value().if_array();
    if (events == nullptr) return invalidField(std::string(key), "must be an array");
    SB_ASSIGN_OR_RETURN(std::string_view for_user_id,
                        requiredId(*root, "for_user_id", "for_user_id"));
    SB_ASSIGN_OR_RETURN(const json::object* users, optionalObject(*root, "users", "users"));

    for (size_t i = 0; i < events->size(); ++i) {
      const std::string path = "direct_message_events[" + std::to_string(i) + "]";
      const json::object* event = (*events)[i].if_object();
      if (event == nullptr) return invalidField(path, "must be an object");
      SB_ASSIGN_OR_RETURN(std::optional<std::string_view> type,
                          optionalString(*event, "type", jsonPath(path, "type")));
      if (!type) return missingField(jsonPath(path, "type"));
      if (*type != "message_create") {
        notices.push_back(kUnsupported);
        continue;
      }
      SB_ASSIGN_OR_RETURN(std::string_view event_id,
                          requiredId(*event, "id", jsonPath(path, "id")));
      SB_ASSIGN_OR_RETURN(
          std::optional<std::string_view> created,
          optionalString(*event, "created_timestamp", jsonPath(path, "created_timestamp")));
      std::string create_path = jsonPath(path, "message_create");
      SB_ASSIGN_OR_RETURN(const json::object* create,
                          requiredObject(*event, "message_create", create_path));
      SB_ASSIGN_OR_RETURN(std::string_view sender_id,
                          requiredId(*create, "sender_id", jsonPath(create_path, "sender_id")));
      if (sender_id == for_user_id) {
        notices.push_back(kEcho);
        continue;
      }
      SB_ASSIGN_OR_RETURN(const json::object* target,
                          optionalObject(*create, "target", jsonPath(create_path, "target")));
      std::string_view recipient_id = for_user_id;
      if (target != nullptr) {
        SB_ASSIGN_OR_RETURN(recipient_id, requiredId(*target, "recipient_id",
                                                     jsonPath(create_path, "target.recipient_id")));
      }
      std::string data_path = jsonPath(create_path, "message_data");
      SB_ASSIGN_OR_RETURN(const json::object* data,
                          requiredObject(*create, "message_data", data_path));
      SB_ASSIGN_OR_RETURN(std::optional<std::string_view> text,
                          optionalString(*data, "text", jsonPath(data_path, "text")));
      std::string_view tco_link;
      SB_ASSIGN_OR_RETURN(std::optional<v1::Attachment> attachment,
                          mediaAttachment(*data, data_path, tco_link));
      SB_ASSIGN_OR_RETURN(const json::object* quick_reply,
                          optionalObject(*data, "quick_reply_response",
                                         jsonPath(data_path, "quick_reply_response")));
      std::optional<std::string_view> quick_reply_metadata;
      if (quick_reply != nullptr) {
        SB_ASSIGN_OR_RETURN(quick_reply_metadata,
                            optionalString(*quick_reply, "metadata",
                                           jsonPath(data_path, "quick_reply_response.metadata")));
      }

      // X appends the media's t.co link to the text; the attachment already says it.
      std::string_view body_text = text.value_or("");
      if (attachment && !tco_link.empty() && body_text.ends_with(tco_link)) {
        body_text.remove_suffix(tco_link.size());
        body_text = trimmed(body_text);
      }
      if (body_text.empty() && !attachment) {
        notices.push_back(kUnsupported);
        continue;
      }

      v1::InboundMessage& message = batch.messages.emplace_back();
      if (created && !setMillis(*created, message.mutable_sent_at())) {
        return invalidField(jsonPath(path, "created_timestamp"),
                            "must be milliseconds since the epoch");
      }
      message.set_channel(v1::CHANNEL_X);
      message.set_provider(std::string(kProvider));
      v1::Address* sender = message.mutable_sender();
      sender->set_channel(v1::CHANNEL_X);
      sender->set_value(std::string(sender_id));
      sender->set_account_id(std::string(for_user_id));
      const json::object* user = nullptr;
      if (users != nullptr) {
        const json::value* u = users->if_contains(sender_id);
        user = u != nullptr ? u->if_object() : nullptr;
      }
      if (user != nullptr) {
        std::string user_path = "users." + std::string(sender_id);
        SB_ASSIGN_OR_RETURN(std::optional<std::string_view> name,
                            optionalString(*user, "name", jsonPath(user_path, "name")));
        SB_ASSIGN_OR_RETURN(
            std::optional<std::string_view> screen_name,
            optionalString(*user, "screen_name", jsonPath(user_path, "screen_name")));
        if (name && !name->empty()) {
          sender->set_display_name(std::string(*name));
        } else if (screen_name) {
          sender->set_display_name(std::string(*screen_name));
        }
        if (screen_name && !screen_name->empty()) {
          (*message.mutable_attributes())["screen_name"] = std::string(*screen_name);
        }
      }
      v1::Address* recipient = message.mutable_recipient();
      recipient->set_channel(v1::CHANNEL_X);
      recipient->set_value(std::string(recipient_id));
      recipient->set_account_id(std::string(for_user_id));
      message.set_text(std::string(body_text));
      if (attachment) *message.add_attachments() = std::move(*attachment);
      if (quick_reply_metadata && !quick_reply_metadata->empty()) {
        (*message.mutable_attributes())["quick_reply_metadata"] =
            std::string(*quick_reply_metadata);
      }
      message.set_provider_message_id(std::string(event_id));

      v1::Envelope* envelope = message.mutable_envelope();
      std::string idempotency_key = "x:";
      idempotency_key += event_id;
      envelope->set_event_id(crypto::derivedId("in-", idempotency_key, 32));
      envelope->set_idempotency_key(std::move(idempotency_key));
      envelope->set_trace_id(trace_id);
      setTimestamp(now, envelope->mutable_received_at());
      setTimestamp(now, envelope->mutable_created_at());
      envelope->set_producer(std::string(kProducer));
    }
  }
  json::object body;
  body["status"] = batch.messages.empty() ? "ignored" : "accepted";
  if (!batch.messages.empty()) {
    json::array event_ids;
    for (const v1::InboundMessage& m : batch.messages)
      event_ids.emplace_back(m.envelope().event_id());
    body["event_ids"] = std::move(event_ids);
  }
  json::array notice_list;
  for (std::string_view n : notices) notice_list.emplace_back(n);
  body["notices"] = std::move(notice_list);
  batch.accepted = answer(std::move(body));
  return batch;
}

Status registerXConnector(ConnectorRegistry& registry, const XSettings& settings) {
  if (settings.consumer_secret.empty()) return okStatus();
  return registry.add(std::make_unique<XConnector>(settings));
}

}  // namespace switchboard::connectors::x
