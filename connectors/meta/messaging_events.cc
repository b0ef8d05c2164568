// Messenger and Instagram messaging: both send
//   {"object":"page"|"instagram","entry":[{"id":PAGE_OR_IG_ID,"time":ms,
//     "messaging":[{"sender":{"id":PSID_OR_IGSID},"recipient":{"id":PAGE_OR_IG_ID},
//                   "timestamp":ms,"message":{"mid":"…","text":"…",...}}]}]}
// and put other events (read, delivery, reaction, postback ...) in the same `messaging` array,
// one key per event. `standby` replaces `messaging` while another app owns the conversation.
#include <string>

#include "connectors/meta/meta_events.h"
#include "core/ids.h"

namespace switchboard::connectors::meta {
namespace {

namespace json = boost::json;

// Below this a timestamp is taken as seconds (a few newer payloads send seconds, as strings).
constexpr int64_t kMillisecondsThreshold = 100'000'000'000;  // 1973 in ms, 5138 in s
constexpr int64_t kMaxMilliseconds = 253'402'300'800'000;    // year 10000

void setSentAt(std::optional<int64_t> timestamp, v1::InboundMessage& message) {
  if (!timestamp || *timestamp <= 0) return;
  int64_t ms = *timestamp < kMillisecondsThreshold ? *timestamp * 1000 : *timestamp;
  if (ms >= kMaxMilliseconds) return;
  // Straight into the proto: a chrono time_point counts nanoseconds in 64 bits and would
  // overflow past 2262 (found by the meta_webhook fuzzer).
  message.mutable_sent_at()->set_seconds(ms / 1000);
  message.mutable_sent_at()->set_nanos(static_cast<int32_t>((ms % 1000) * 1'000'000));
}

bool isLowerWord(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

// Meta names a kind, not a media type: the four media kinds map to media ranges, the others
// (fallback, template, reel, ig_reel, share, story_mention ...) to a vendor type that keeps
// the kind.
std::string attachmentContentType(std::string_view type) {
  if (type == "image") return "image/*";
  if (type == "video") return "video/*";
  if (type == "audio") return "audio/*";
  if (type == "file") return "application/octet-stream";
  if (!isLowerWord(type)) return "";
  return "application/vnd.meta." + std::string(type);
}

void addAttachments(const json::object& message, v1::InboundMessage& out) {
  const json::array* attachments = arrayAt(message, "attachments");
  if (attachments == nullptr) return;
  for (const json::value& value : *attachments) {
    const json::object* attachment = value.if_object();
    if (attachment == nullptr) continue;
    std::string content_type = attachmentContentType(stringAt(*attachment, "type").value_or(""));
    std::string_view url;
    if (const json::object* payload = objectAt(*attachment, "payload")) {
      url = stringAt(*payload, "url").value_or("");
    }
    if (content_type.empty() && url.empty()) continue;
    v1::Attachment* a = out.add_attachments();
    a->set_content_type(std::move(content_type));
    a->set_url(std::string(url));
  }
}

std::optional<std::string_view> idOf(const json::object& event, std::string_view key) {
  const json::object* party = objectAt(event, key);
  if (party == nullptr) return std::nullopt;
  std::optional<std::string_view> id = stringAt(*party, "id");
  if (!id || !isUsableId(*id)) return std::nullopt;
  return id;
}

// A customer's message (or the business's echo of its own).
void onMessage(const json::object& event, const json::object& message, v1::Channel channel,
               std::string_view entry_id, BatchBuilder& out) {
  if (isTrue(message, "is_echo")) return out.notice(notice::kEcho);
  if (isTrue(message, "is_deleted")) return out.notice(notice::kDeleted);
  if (isTrue(message, "is_unsupported")) return out.notice(notice::kUnsupported);
  std::optional<std::string_view> mid = stringAt(message, "mid");
  std::optional<std::string_view> sender_id = idOf(event, "sender");
  if (!mid || !isUsableId(*mid) || !sender_id) return out.notice(notice::kUnsupported);
  // The page or Instagram account written to; entry.id names the same account.
  std::string_view account_id = idOf(event, "recipient").value_or(entry_id);

  v1::InboundMessage m;
  m.set_channel(channel);
  v1::Address* sender = m.mutable_sender();
  sender->set_channel(channel);
  sender->set_value(std::string(*sender_id));
  sender->set_account_id(std::string(account_id));
  if (!account_id.empty()) {
    v1::Address* recipient = m.mutable_recipient();
    recipient->set_channel(channel);
    recipient->set_value(std::string(account_id));
    recipient->set_account_id(std::string(account_id));
  }
  m.set_text(std::string(stringAt(message, "text").value_or("")));
  addAttachments(message, m);
  if (m.text().empty() && m.attachments_size() == 0) return out.notice(notice::kUnsupported);

  if (const json::object* quick_reply = objectAt(message, "quick_reply")) {
    if (auto payload = stringAt(*quick_reply, "payload")) {
      if (auto bounded = boundedAttribute(*payload)) {
        (*m.mutable_attributes())["quick_reply"] = std::string(*bounded);
      }
    }
  }
  if (const json::object* reply_to = objectAt(message, "reply_to")) {
    std::optional<std::string_view> replied = stringAt(*reply_to, "mid");
    if (replied && isUsableId(*replied)) m.mutable_thread()->set_in_reply_to(std::string(*replied));
  }
  setSentAt(integerAt(event, "timestamp"), m);
  out.add(std::move(m), *mid);
}

void onEvent(const json::object& event, v1::Channel channel, std::string_view entry_id,
             BatchBuilder& out) {
  if (const json::value* message = event.if_contains("message")) {
    if (const json::object* object = message->if_object()) {
      return onMessage(event, *object, channel, entry_id, out);
    }
    return out.notice(notice::kUnsupported);
  }
  // One event per item; the key names it (Messenger "read" = Instagram "messaging_seen").
  struct Kind {
    std::string_view key;
    std::string_view notice;
  };
  static constexpr Kind kKinds[] = {
      {"read", notice::kRead},
      {"delivery", notice::kDelivery},
      {"reaction", notice::kReaction},
      {"postback", notice::kPostback},
      {"referral", notice::kReferral},
      {"optin", notice::kOptin},
      {"message_edit", notice::kEdit},
      {"pass_thread_control", notice::kHandover},
      {"take_thread_control", notice::kHandover},
      {"request_thread_control", notice::kHandover},
      {"app_roles", notice::kHandover},
  };
  for (const Kind& kind : kKinds) {
    if (event.contains(kind.key)) return out.notice(kind.notice);
  }
  out.notice(notice::kUnsupported);
}

}  // namespace

void normalizeMessagingEntries(const json::array& entries, v1::Channel channel, BatchBuilder& out) {
  for (const json::value& value : entries) {
    const json::object* entry = value.if_object();
    if (entry == nullptr) {
      out.notice(notice::kUnsupported);
      continue;
    }
    std::string_view entry_id = stringAt(*entry, "id").value_or("");
    if (!isUsableId(entry_id)) entry_id = "";
    if (const json::array* messaging = arrayAt(*entry, "messaging")) {
      for (const json::value& item : *messaging) {
        if (const json::object* event = item.if_object()) {
          onEvent(*event, channel, entry_id, out);
        } else {
          out.notice(notice::kUnsupported);
        }
      }
    }
    // Another app (the primary receiver of the handover protocol) owns these conversations.
    if (const json::array* standby = arrayAt(*entry, "standby")) {
      for (size_t i = 0; i < standby->size(); ++i) out.notice(notice::kStandby);
    }
    // Page feed and Instagram comment changes: not messaging.
    if (const json::array* changes = arrayAt(*entry, "changes")) {
      for (size_t i = 0; i < changes->size(); ++i) out.notice(notice::kUnsupported);
    }
  }
}

}  // namespace switchboard::connectors::meta
