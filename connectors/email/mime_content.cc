#include "connectors/email/mime_content.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

#include "connectors/email/charset.h"
#include "connectors/email/gmime_runtime.h"
#include "connectors/email/utf8_text.h"
#include "core/crypto/digest.h"

namespace switchboard::connectors::email {
namespace {

// GMime builds the tree recursively while parsing; this walk stops deeper than any real
// client nests (forwarded chains are message/rfc822 parts, which are not opened).
constexpr int kMaxDepth = 32;
constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxContentTypeBytes = 127;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isType(GMimeObject* object, const char* type, const char* subtype) {
  GMimeContentType* content_type = g_mime_object_get_content_type(object);
  return content_type != nullptr && g_mime_content_type_is_type(content_type, type, subtype);
}

std::string mediaType(GMimeObject* object) {
  GMimeContentType* content_type = g_mime_object_get_content_type(object);
  if (content_type == nullptr) return "application/octet-stream";
  const char* type = g_mime_content_type_get_media_type(content_type);
  const char* subtype = g_mime_content_type_get_media_subtype(content_type);
  std::string value = lower(type != nullptr ? type : "application");
  value += '/';
  value += lower(subtype != nullptr ? subtype : "octet-stream");
  value = sanitizeUtf8(value);
  truncateBytes(value, kMaxContentTypeBytes);
  return value;
}

bool hasAttachmentDisposition(GMimeObject* object) {
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  return disposition != nullptr && g_mime_content_disposition_is_attachment(disposition);
}

// A display name for a file: the last path component some clients leave in, valid UTF-8,
// no control characters, bounded.
std::string fileName(const char* raw) {
  if (raw == nullptr) return {};
  std::string_view name(raw);
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string clean = sanitizeUtf8(trimSpace(name));
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = ' ';
  }
  truncateBytes(clean, kMaxNameBytes);
  return clean;
}

// The raw (still transfer-encoded) bytes behind `stream` when it is a memory stream, which it
// is for every part of a message parsed from memory (the parser hands out windows on the
// message's buffer): read in place, with no stream or filter objects made for it.
bool memoryWindow(GMimeStream* stream, std::string_view& bytes) {
  if (stream == nullptr || !GMIME_IS_STREAM_MEM(stream)) return false;
  GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
  if (array == nullptr) return false;
  const gint64 size = array->len;
  const gint64 start = std::clamp<gint64>(stream->bound_start, 0, size);
  const gint64 end =
      stream->bound_end < 0 ? size : std::clamp<gint64>(stream->bound_end, start, size);
  bytes = std::string_view(reinterpret_cast<const char*>(array->data) + start,
                           static_cast<size_t>(end - start));
  return true;
}

int hexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Quoted-printable decoding with exactly the results of GMime's decoder
// (g_mime_encoding_quoted_decode_step() followed by its flush, checked byte for byte on
// random input): "=XX" with two hex digits of either case is the byte, "=" before LF or CRLF
// is a soft line break, any other "=" and the two characters after it are kept as they are,
// and an incomplete "=" or "=X" at the very end is dropped. Runs between '=' signs are copied
// with memchr/memcpy, which is most of the text: GMime's loop looks at every byte.
std::string decodeQuotedPrintable(std::string_view in) {
  std::string out(in.size(), '\0');
  char* o = out.data();
  const char* p = in.data();
  const char* const end = p + in.size();
  while (p < end) {
    const char* eq = static_cast<const char*>(std::memchr(p, '=', static_cast<size_t>(end - p)));
    const char* run_end = eq == nullptr ? end : eq;
    std::memcpy(o, p, static_cast<size_t>(run_end - p));
    o += run_end - p;
    if (eq == nullptr || end - eq < 3) break;  // "=" or "=X" (or "=\n") at the end: dropped
    const auto first = static_cast<unsigned char>(eq[1]);
    if (first == '\n') {  // soft break, LF line ends
      p = eq + 2;
      continue;
    }
    const auto second = static_cast<unsigned char>(eq[2]);
    p = eq + 3;
    const int high = hexValue(first);
    const int low = hexValue(second);
    if (high >= 0 && low >= 0) {
      *o++ = static_cast<char>((high << 4) | low);
    } else if (!(first == '\r' && second == '\n')) {  // not a soft break either: kept
      *o++ = '=';
      *o++ = static_cast<char>(first);
      *o++ = static_cast<char>(second);
    }
  }
  out.resize(static_cast<size_t>(o - out.data()));
  return out;
}

// The decoded content of a leaf part (transfer encoding undone, charset untouched). Memory
// streams are decoded in one pass over their bytes: quoted-printable above, base64 with
// GMime's step function, which is what its decoding filter runs (the data wrapper would wrap
// it in a filter stream, plus a sink stream, per part); the results are the data wrapper's,
// byte for byte. Anything else goes through the data wrapper.
std::string decodedContent(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return {};
  std::string_view raw;
  if (memoryWindow(content->stream, raw)) {
    const GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
    switch (encoding) {
      case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE: return decodeQuotedPrintable(raw);
      case GMIME_CONTENT_ENCODING_BASE64: {
        GMimeEncoding state;
        g_mime_encoding_init_decode(&state, encoding);
        std::string out(g_mime_encoding_outlen(&state, raw.size()) + 16, '\0');
        size_t n = g_mime_encoding_step(&state, raw.data(), raw.size(), out.data());
        n += g_mime_encoding_flush(&state, nullptr, 0, out.data() + n);
        out.resize(n);
        return out;
      }
      // uuencode: GMime's decoding filter looks for the "begin" line, its step function does
      // not; the data wrapper below does what it always did.
      case GMIME_CONTENT_ENCODING_UUENCODE: break;
      default: return std::string(raw);
    }
  }
  GObjectPtr<GMimeStream> sink(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(content, sink.get()) < 0) return {};
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink.get()));
  if (bytes == nullptr || bytes->len == 0) return {};
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string textOf(GMimePart* part) {
  const char* charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
  std::string text = toUtf8Owned(decodedContent(part), charset != nullptr ? charset : "");
  // One line-end convention for everything downstream: CRLF and lone CR become LF. Folded in
  // place (the text only shrinks), a line at a time.
  size_t cr = text.find('\r');
  if (cr == std::string::npos) return text;
  size_t out = cr;
  while (cr != std::string::npos) {
    text[out++] = '\n';
    size_t start = cr + 1;
    if (start < text.size() && text[start] == '\n') ++start;
    cr = text.find('\r', start);
    const size_t stop = cr == std::string::npos ? text.size() : cr;
    std::memmove(text.data() + out, text.data() + start, stop - start);
    out += stop - start;
  }
  text.resize(out);
  return text;
}

class Walker {
 public:
  Walker(const EmailLimits& limits, MimeContent& out) : limits_(limits), out_(out) {}

  void walk(GMimeObject* object, int depth) {
    if (object == nullptr || depth > kMaxDepth) return;
    if (GMIME_IS_MESSAGE_PART(object)) {
      forwardedMessage(GMIME_MESSAGE_PART(object));
    } else if (GMIME_IS_MULTIPART(object)) {
      GMimeMultipart* multipart = GMIME_MULTIPART(object);
      if (isType(object, "multipart", "alternative")) {
        alternative(multipart, depth);
        return;
      }
      const int count = g_mime_multipart_get_count(multipart);
      for (int i = 0; i < count; ++i) walk(g_mime_multipart_get_part(multipart, i), depth + 1);
    } else if (GMIME_IS_PART(object)) {
      leaf(GMIME_PART(object));
    }
  }

 private:
  // Each alternative is a rendering of the same content: the first text/plain and the first
  // text/html are kept, the rest is walked (multipart/related carries the HTML and its images)
  // or described, since a calendar invitation, say, is content of its own.
  void alternative(GMimeMultipart* multipart, int depth) {
    bool plain_done = false;
    bool html_done = false;
    const int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count; ++i) {
      GMimeObject* child = g_mime_multipart_get_part(multipart, i);
      if (GMIME_IS_PART(child) && !hasAttachmentDisposition(child)) {
        if (isType(child, "text", "plain")) {
          if (!plain_done) appendPlain(GMIME_PART(child));
          plain_done = true;
          continue;
        }
        if (isType(child, "text", "html")) {
          if (!html_done && !out_.has_html) setHtml(GMIME_PART(child));
          html_done = true;
          continue;
        }
      }
      walk(child, depth + 1);
    }
  }

  void leaf(GMimePart* part) {
    GMimeObject* object = GMIME_OBJECT(part);
    if (!hasAttachmentDisposition(object)) {
      const bool named = g_mime_part_get_filename(part) != nullptr;
      if (isType(object, "text", "plain") && !(named && out_.has_plain)) {
        appendPlain(part);
        return;
      }
      if (isType(object, "text", "html") && !out_.has_html) {
        setHtml(part);
        return;
      }
    }
    attachment(part);
  }

  void appendPlain(GMimePart* part) {
    std::string text = textOf(part);
    if (out_.has_plain && !text.empty()) out_.plain += '\n';
    out_.plain += text;
    out_.has_plain = true;
  }

  void setHtml(GMimePart* part) {
    out_.html = textOf(part);
    out_.has_html = true;
  }

  v1::Attachment* nextAttachment() {
    if (out_.attachments.size() >= limits_.max_attachments) {
      ++out_.attachments_omitted;
      return nullptr;
    }
    return &out_.attachments.emplace_back();
  }

  void describe(v1::Attachment& attachment, std::string_view content) {
    attachment.set_size_bytes(content.size());
    if (content.size() <= limits_.max_hashed_attachment_bytes) {
      attachment.set_sha256(crypto::sha256Hex(content));
    }
  }

  void attachment(GMimePart* part) {
    v1::Attachment* attachment = nextAttachment();
    if (attachment == nullptr) return;
    attachment->set_name(fileName(g_mime_part_get_filename(part)));
    attachment->set_content_type(mediaType(GMIME_OBJECT(part)));
    describe(*attachment, decodedContent(part));
  }

  // A forwarded mail: described as one attachment, the message as GMime writes it back (its
  // headers as received, its body still transfer-encoded), named after its subject unless the
  // part names a file.
  void forwardedMessage(GMimeMessagePart* part) {
    v1::Attachment* attachment = nextAttachment();
    if (attachment == nullptr) return;
    GMimeObject* object = GMIME_OBJECT(part);
    GMimeMessage* inner = g_mime_message_part_get_message(part);
    std::string name =
        fileName(g_mime_object_get_content_disposition_parameter(object, "filename"));
    if (name.empty()) name = fileName(g_mime_object_get_content_type_parameter(object, "name"));
    if (name.empty() && inner != nullptr) {
      const char* subject = g_mime_message_get_subject(inner);
      if (subject != nullptr && *subject != '\0') name = fileName(subject) + ".eml";
    }
    attachment->set_name(name.empty() ? "message.eml" : name);
    attachment->set_content_type(mediaType(object));
    std::string bytes;
    if (inner != nullptr) {
      GObjectPtr<GMimeStream> sink(g_mime_stream_mem_new());
      if (g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, sink.get()) >= 0) {
        GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink.get()));
        if (array != nullptr) bytes.assign(reinterpret_cast<const char*>(array->data), array->len);
      }
    }
    describe(*attachment, bytes);
  }

  const EmailLimits& limits_;
  MimeContent& out_;
};

}  // namespace

MimeContent collectMimeContent(GMimeObject* top, const EmailLimits& limits) {
  MimeContent content;
  Walker(limits, content).walk(top, 0);
  return content;
}

}  // namespace switchboard::connectors::email
