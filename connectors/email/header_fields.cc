#include "connectors/email/header_fields.h"

#include <utility>

#include "connectors/email/gmime_runtime.h"
#include "connectors/email/utf8_text.h"

namespace switchboard::connectors::email {

std::string oneLine(std::string_view value, size_t max_bytes) {
  std::string text = sanitizeUtf8(value);
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  text = std::string(trimSpace(text));
  truncateBytes(text, max_bytes);
  return text;
}

std::string oneLine(const char* value, size_t max_bytes) {
  if (value == nullptr) return {};
  return oneLine(std::string_view(value), max_bytes);
}

std::string messageId(const char* value) {
  if (value == nullptr) return {};
  std::string id(trimSpace(value));
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  if (id.empty() || id.size() > kMaxHeaderBytes || !isValidUtf8(id)) return {};
  for (char c : id) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '<' || c == '>') return {};
  }
  return id;
}

std::vector<std::string> references(GMimeObject* headers, const char* name) {
  std::vector<std::string> ids;
  const char* value = g_mime_object_get_header(headers, name);
  if (value == nullptr) return ids;
  GMimeReferences* parsed = g_mime_references_parse(gmimeParserOptions(), value);
  if (parsed == nullptr) return ids;
  const int count = g_mime_references_length(parsed);
  for (int i = 0; i < count; ++i) {
    // Keep the first (the thread's root) and the last ones (the nearest ancestors).
    if (i > 0 && static_cast<size_t>(count - i) >= kMaxReferences) continue;
    std::string id = messageId(g_mime_references_get_message_id(parsed, i));
    if (!id.empty()) ids.push_back(std::move(id));
  }
  g_mime_references_free(parsed);
  return ids;
}

void setSentAt(GMimeMessage* message, v1::InboundMessage& out) {
  GDateTime* date = g_mime_message_get_date(message);
  if (date == nullptr) return;
  const gint64 seconds = g_date_time_to_unix(date);
  // google.protobuf.Timestamp covers years 1 to 9999; mail claiming otherwise has no date.
  constexpr gint64 kMin = -62135596800;
  constexpr gint64 kMax = 253402300799;
  if (seconds < kMin || seconds > kMax) return;
  out.mutable_sent_at()->set_seconds(seconds);
  out.mutable_sent_at()->set_nanos(g_date_time_get_microsecond(date) * 1000);
}

void setAttribute(v1::InboundMessage& out, std::string_view key, const char* value) {
  std::string text = oneLine(value, kMaxAttributeBytes);
  if (!text.empty()) (*out.mutable_attributes())[std::string(key)] = std::move(text);
}

}  // namespace switchboard::connectors::email
