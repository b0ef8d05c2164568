// WhatsApp Business Cloud API:
//   {"object":"whatsapp_business_account","entry":[{"id":WABA_ID,"changes":[{"field":"messages",
//     "value":{"messaging_product":"whatsapp",
//              "metadata":{"display_phone_number":"15550783881","phone_number_id":"1065…"},
//              "contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],
//              "messages":[{"from":"16505551234","id":"wamid.…","timestamp":"1739321024",
//                           "type":"text","text":{"body":"…"}}],
//              "statuses":[...]}}]}]}
// Statuses (sent/delivered/read/failed of our own messages) and errors come in the same value.
#include <charconv>
#include <string>

#include "connectors/meta/meta_events.h"
#include "core/ids.h"

namespace switchboard::connectors::meta {
namespace {

namespace json = boost::json;

constexpr int64_t kMaxSeconds = 253'402'300'800;  // year 10000
constexpr size_t kMaxE164Digits = 15;

// "16505551234" (a wa_id or display number, possibly formatted) -> "+16505551234".
std::optional<std::string> e164(std::string_view number, bool allow_formatting) {
  std::string out = "+";
  for (char c : number) {
    if (c >= '0' && c <= '9') {
      out += c;
    } else if (!allow_formatting || (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')')) {
      return std::nullopt;
    }
  }
  if (out.size() < 2 || out.size() > kMaxE164Digits + 1 || out[1] == '0') return std::nullopt;
  return out;
}

void setSentAt(std::optional<int64_t> seconds, v1::InboundMessage& message) {
  if (!seconds || *seconds <= 0 || *seconds >= kMaxSeconds) return;
  message.mutable_sent_at()->set_seconds(*seconds);
}

bool isHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

std::string formatCoordinate(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string();
}

std::optional<double> numberAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

// The contact's profile name: the entry whose wa_id is the sender, or the only entry (a
// user's wa_id and number may differ).
std::string_view displayName(const json::array* contacts, std::string_view from) {
  if (contacts == nullptr) return {};
  const json::object* match = nullptr;
  for (const json::value& value : *contacts) {
    const json::object* contact = value.if_object();
    if (contact != nullptr && stringAt(*contact, "wa_id") == from) match = contact;
  }
  if (match == nullptr && contacts->size() == 1) match = (*contacts)[0].if_object();
  if (match == nullptr) return {};
  const json::object* profile = objectAt(*match, "profile");
  return profile == nullptr ? std::string_view() : stringAt(*profile, "name").value_or("");
}

void setQuickReply(std::optional<std::string_view> value, v1::InboundMessage& m) {
  if (!value || value->empty()) return;
  if (auto bounded = boundedAttribute(*value)) {
    (*m.mutable_attributes())["quick_reply"] = std::string(*bounded);
  }
}

// Media is described, not carried: the stable handle is the media id, which the Graph API
// resolves to a short-lived download URL ("whatsapp-media:<id>"). The caption is the text.
void addMedia(const json::object& media, v1::InboundMessage& m) {
  v1::Attachment* attachment = m.add_attachments();
  attachment->set_content_type(std::string(stringAt(media, "mime_type").value_or("")));
  if (auto filename = stringAt(media, "filename")) attachment->set_name(std::string(*filename));
  std::optional<std::string_view> id = stringAt(media, "id");
  if (id && isUsableId(*id)) attachment->set_url("whatsapp-media:" + std::string(*id));
  std::optional<std::string_view> sha256 = stringAt(media, "sha256");
  if (sha256 && isHex64(*sha256)) {
    std::string lowered(*sha256);
    for (char& c : lowered) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    attachment->set_sha256(std::move(lowered));
  }
  m.set_text(std::string(stringAt(media, "caption").value_or("")));
}

// Fills the content of a message of `type`; false when the type carries nothing we route.
bool fillContent(const json::object& message, std::string_view type, v1::InboundMessage& m) {
  if (type == "text") {
    if (const json::object* text = objectAt(message, "text")) {
      m.set_text(std::string(stringAt(*text, "body").value_or("")));
    }
  } else if (type == "image" || type == "video" || type == "audio" || type == "document" ||
             type == "sticker") {
    const json::object* media = objectAt(message, type);
    if (media == nullptr) return false;
    addMedia(*media, m);
  } else if (type == "location") {
    const json::object* location = objectAt(message, "location");
    if (location == nullptr) return false;
    std::optional<double> latitude = numberAt(*location, "latitude");
    std::optional<double> longitude = numberAt(*location, "longitude");
    if (latitude && longitude) {
      (*m.mutable_attributes())["location"] =
          formatCoordinate(*latitude) + "," + formatCoordinate(*longitude);
    }
    std::string text(stringAt(*location, "name").value_or(""));
    std::string_view address = stringAt(*location, "address").value_or("");
    if (!text.empty() && !address.empty()) text += '\n';
    text += address;
    if (text.empty() && m.attributes().contains("location")) text = m.attributes().at("location");
    m.set_text(std::move(text));
  } else if (type == "interactive") {
    // A tapped reply button or list row of a message we sent: its title is what the customer
    // saw, its id what our bot chose.
    const json::object* interactive = objectAt(message, "interactive");
    if (interactive == nullptr) return false;
    const json::object* reply = objectAt(*interactive, "button_reply");
    if (reply == nullptr) reply = objectAt(*interactive, "list_reply");
    if (reply == nullptr) return false;
    m.set_text(std::string(stringAt(*reply, "title").value_or("")));
    setQuickReply(stringAt(*reply, "id"), m);
  } else if (type == "button") {
    // A quick-reply button of a template message.
    const json::object* button = objectAt(message, "button");
    if (button == nullptr) return false;
    m.set_text(std::string(stringAt(*button, "text").value_or("")));
    setQuickReply(stringAt(*button, "payload"), m);
  } else {
    return false;  // contacts, order, unsupported, request_welcome, unknown types ...
  }
  return !m.text().empty() || m.attachments_size() > 0;
}

void onMessage(const json::object& message, const json::object& value, BatchBuilder& out) {
  std::string_view type = stringAt(message, "type").value_or("");
  if (type == "reaction") return out.notice(notice::kReaction);
  if (type == "system") return out.notice(notice::kSystem);
  std::optional<std::string_view> id = stringAt(message, "id");
  std::optional<std::string_view> from = stringAt(message, "from");
  std::optional<std::string> sender_number = from ? e164(*from, false) : std::nullopt;
  if (!id || !isUsableId(*id) || !sender_number) return out.notice(notice::kUnsupported);

  std::string_view phone_number_id;
  std::optional<std::string> business_number;
  if (const json::object* metadata = objectAt(value, "metadata")) {
    phone_number_id = stringAt(*metadata, "phone_number_id").value_or("");
    if (!isUsableId(phone_number_id)) phone_number_id = "";
    if (auto display = stringAt(*metadata, "display_phone_number")) {
      business_number = e164(*display, true);
    }
  }

  v1::InboundMessage m;
  if (!fillContent(message, type, m)) return out.notice(notice::kUnsupported);
  m.set_channel(v1::CHANNEL_WHATSAPP);
  v1::Address* sender = m.mutable_sender();
  sender->set_channel(v1::CHANNEL_WHATSAPP);
  sender->set_value(std::move(*sender_number));
  sender->set_display_name(std::string(displayName(arrayAt(value, "contacts"), *from)));
  sender->set_account_id(std::string(phone_number_id));
  if (business_number || !phone_number_id.empty()) {
    v1::Address* recipient = m.mutable_recipient();
    recipient->set_channel(v1::CHANNEL_WHATSAPP);
    if (business_number) recipient->set_value(std::move(*business_number));
    recipient->set_account_id(std::string(phone_number_id));
  }
  if (const json::object* context = objectAt(message, "context")) {
    std::optional<std::string_view> replied = stringAt(*context, "id");
    if (replied && isUsableId(*replied)) m.mutable_thread()->set_in_reply_to(std::string(*replied));
  }
  setSentAt(integerAt(message, "timestamp"), m);
  out.add(std::move(m), *id);
}

void onValue(const json::object& value, BatchBuilder& out) {
  if (const json::array* messages = arrayAt(value, "messages")) {
    for (const json::value& item : *messages) {
      if (const json::object* message = item.if_object()) {
        onMessage(*message, value, out);
      } else {
        out.notice(notice::kUnsupported);
      }
    }
  }
  if (const json::array* statuses = arrayAt(value, "statuses")) {
    for (size_t i = 0; i < statuses->size(); ++i) out.notice(notice::kStatus);
  }
  if (const json::array* errors = arrayAt(value, "errors")) {
    for (size_t i = 0; i < errors->size(); ++i) out.notice(notice::kError);
  }
}

}  // namespace

void normalizeWhatsAppEntries(const json::array& entries, BatchBuilder& out) {
  for (const json::value& entry_value : entries) {
    const json::object* entry = entry_value.if_object();
    const json::array* changes = entry == nullptr ? nullptr : arrayAt(*entry, "changes");
    if (changes == nullptr) {
      out.notice(notice::kUnsupported);
      continue;
    }
    for (const json::value& change_value : *changes) {
      const json::object* change = change_value.if_object();
      const json::object* value = change == nullptr ? nullptr : objectAt(*change, "value");
      // Other fields (account_update, message_template_status_update ...) are not messaging.
      if (value == nullptr || stringAt(*change, "field") != "messages") {
        out.notice(notice::kUnsupported);
        continue;
      }
      onValue(*value, out);
    }
  }
}

}  // namespace switchboard::connectors::meta
