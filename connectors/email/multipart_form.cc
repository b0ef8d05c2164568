#include "connectors/email/multipart_form.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "connectors/common/form_urlencoded.h"
#include "connectors/common/rejection_reasons.h"
#include "connectors/email/gmime_runtime.h"
#include "core/http/media_type.h"

namespace switchboard::connectors::email {
namespace {

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};

// A field name for a rejection detail: names come from the sender, so they are cut short.
std::string quoted(std::string_view name) {
  constexpr size_t kMaxQuotedName = 64;
  std::string out = "\"";
  out += name.substr(0, kMaxQuotedName);
  if (name.size() > kMaxQuotedName) out += "...";
  return out + "\"";
}

Rejection malformed(std::string detail) {
  return Rejection(Errc::kMalformedInput, kMalformedMultipart, std::move(detail));
}

// What GMime noticed while parsing. Critical issues mean it may have skipped input; a truncated
// body means the closing delimiter never came (a cut-off upload): both are refused rather than
// acting on part of a message.
struct ParseIssues {
  bool truncated = false;
  bool critical = false;
  bool no_parts = false;
  GMimeParserWarning first_critical{};

  static void collect(gint64 /*offset*/, GMimeParserWarning code, const gchar* /*item*/,
                      gpointer user_data) {
    auto* issues = static_cast<ParseIssues*>(user_data);
    switch (code) {
      case GMIME_WARN_TRUNCATED_MESSAGE: issues->truncated = true; break;
      case GMIME_WARN_MALFORMED_MULTIPART: issues->no_parts = true; break;
      case GMIME_CRIT_INVALID_HEADER_NAME:
      case GMIME_CRIT_CONFLICTING_HEADER:
      case GMIME_CRIT_CONFLICTING_PARAMETER:
      case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      case GMIME_CRIT_NESTING_OVERFLOW:
      case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        if (!issues->critical) issues->first_critical = code;
        issues->critical = true;
        break;
      default: break;  // duplicated parameters, 8-bit headers ...: GMime copes, so do we
    }
  }
};

std::string_view criticalName(GMimeParserWarning code) {
  switch (code) {
    case GMIME_CRIT_INVALID_HEADER_NAME: return "a part has an invalid header name";
    case GMIME_CRIT_CONFLICTING_HEADER: return "a part has conflicting headers";
    case GMIME_CRIT_CONFLICTING_PARAMETER: return "a part has conflicting header parameters";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: return "a nested multipart has no boundary";
    case GMIME_CRIT_NESTING_OVERFLOW: return "parts are nested too deeply";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      return "a part has neither headers nor content";
    default: return "the body is malformed";
  }
}

// How many times the delimiter occurs: an upper bound of the number of parts (the closing
// delimiter included), known before GMime builds an object per part.
size_t countDelimiters(std::string_view body, std::string_view delimiter, size_t stop_after) {
  size_t count = 0;
  for (size_t at = body.find(delimiter); at != std::string_view::npos;
       at = body.find(delimiter, at + delimiter.size())) {
    if (++count > stop_after) break;
  }
  return count;
}

std::string bytesOf(GMimeStream* stream) {
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
  if (bytes == nullptr || bytes->len == 0) return {};
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

// The part's content with its Content-Transfer-Encoding undone. GMime parses an uploaded
// message/rfc822 file as a message: it is written back out in the canonical CRLF form (GMime
// keeps raw header values and content), which is the upload's bytes when it was canonical.
ConnectorResult<std::string> contentOf(GMimeObject* object, size_t index) {
  GObjectPtr<GMimeStream> out(g_mime_stream_mem_new());
  if (GMIME_IS_PART(object)) {
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(object));
    if (content != nullptr && g_mime_data_wrapper_write_to_stream(content, out.get()) < 0) {
      return malformed("part " + std::to_string(index + 1) + " could not be decoded");
    }
    return bytesOf(out.get());
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    GMimeFormatOptions* format = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
    const ssize_t written =
        message != nullptr ? g_mime_object_write_to_stream(GMIME_OBJECT(message), format, out.get())
                           : 0;
    g_mime_format_options_free(format);
    if (written < 0) {
      return malformed("part " + std::to_string(index + 1) + " could not be decoded");
    }
    return bytesOf(out.get());
  }
  return malformed("part " + std::to_string(index + 1) +
                   " is itself a multipart (nested multipart/form-data is not accepted)");
}

ConnectorResult<FormPart> readPart(GMimeObject* object, size_t index, const FormLimits& limits) {
  const std::string position = "part " + std::to_string(index + 1);
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  const char* disposition_type =
      disposition != nullptr ? g_mime_content_disposition_get_disposition(disposition) : nullptr;
  if (disposition_type == nullptr || g_ascii_strcasecmp(disposition_type, "form-data") != 0) {
    return malformed(position + " has no Content-Disposition: form-data");
  }
  const char* name = g_mime_content_disposition_get_parameter(disposition, "name");
  if (name == nullptr || *name == '\0') return malformed(position + " has no name");

  FormPart part;
  part.name = name;
  if (const char* filename = g_mime_content_disposition_get_parameter(disposition, "filename")) {
    part.filename = filename;
  }
  if (g_mime_object_get_header(object, "Content-Type") != nullptr) {
    GMimeContentType* type = g_mime_object_get_content_type(object);
    gchar* mime_type = g_mime_content_type_get_mime_type(type);
    gchar* lower = g_ascii_strdown(mime_type, -1);
    part.content_type = lower;
    g_free(lower);
    g_free(mime_type);
    if (const char* charset = g_mime_content_type_get_parameter(type, "charset")) {
      part.charset = charset;
    }
  }
  SB_ASSIGN_OR_RETURN(part.data, contentOf(object, index));
  const bool large = std::find(limits.large_fields.begin(), limits.large_fields.end(), part.name) !=
                     limits.large_fields.end();
  if (!part.isFile() && !large && part.data.size() > limits.max_field_bytes) {
    return Rejection(Errc::kTooLarge, kFieldTooLarge,
                     "field " + quoted(part.name) + " is larger than " +
                         std::to_string(limits.max_field_bytes) + " bytes");
  }
  return part;
}

}  // namespace

ConnectorResult<std::vector<FormPart>> parseMultipartForm(std::string_view content_type,
                                                          std::string_view body,
                                                          const FormLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return Rejection(Errc::kTooLarge, reasons::kBodyTooLarge,
                     "body is larger than " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  if (content_type.find_first_of("\r\n") != std::string_view::npos) {
    return malformed("the Content-Type header has a line break");
  }
  // The shared options (initialising GMime on first use), plus a warning callback of our own.
  std::unique_ptr<GMimeParserOptions, ParserOptionsFree> options(
      g_mime_parser_options_clone(gmimeParserOptions()));
  ParseIssues issues;
  g_mime_parser_options_set_warning_callback(options.get(), &ParseIssues::collect, &issues);

  const std::string header_value(content_type);
  GObjectPtr<GMimeContentType> type(g_mime_content_type_parse(options.get(), header_value.c_str()));
  if (type == nullptr || !g_mime_content_type_is_type(type.get(), "multipart", "form-data")) {
    return Rejection(Errc::kUnsupportedMediaType, reasons::kWrongContentType,
                     "Content-Type must be multipart/form-data");
  }
  const char* boundary = g_mime_content_type_get_parameter(type.get(), "boundary");
  if (boundary == nullptr || *boundary == '\0') {
    return malformed("the multipart/form-data Content-Type has no boundary parameter");
  }
  const std::string delimiter = std::string("--") + boundary;
  if (countDelimiters(body, delimiter, limits.max_parts + 1) > limits.max_parts + 1) {
    return Rejection(Errc::kTooLarge, kTooManyParts,
                     "more than " + std::to_string(limits.max_parts) + " parts");
  }

  // GMime parses a MIME entity: the Content-Type header line, a blank line, then the body.
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new());
  const std::string head = "Content-Type: " + header_value + "\r\n\r\n";
  g_mime_stream_write(stream.get(), head.data(), head.size());
  g_mime_stream_write(stream.get(), body.data(), body.size());
  g_mime_stream_reset(stream.get());
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GObjectPtr<GMimeObject> root(g_mime_parser_construct_part(parser.get(), options.get()));

  if (issues.critical) return malformed(std::string(criticalName(issues.first_critical)));
  if (root == nullptr || !GMIME_IS_MULTIPART(root.get())) {
    return malformed("the body is not a multipart entity");
  }
  GMimeMultipart* multipart = GMIME_MULTIPART(root.get());
  const int count = g_mime_multipart_get_count(multipart);
  if (issues.no_parts || count <= 0) {
    return malformed("no part starts with the boundary given in the Content-Type");
  }
  if (issues.truncated) {
    return malformed("the body ends before the closing boundary delimiter (truncated)");
  }
  std::vector<FormPart> parts;
  parts.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    SB_ASSIGN_OR_RETURN(FormPart part,
                        readPart(g_mime_multipart_get_part(multipart, i), parts.size(), limits));
    parts.push_back(std::move(part));
  }
  return parts;
}

ConnectorResult<std::vector<FormPart>> parseFormBody(std::optional<std::string_view> content_type,
                                                     std::string_view body,
                                                     const FormLimits& limits) {
  if (http::isMediaType(content_type, "multipart/form-data")) {
    return parseMultipartForm(*content_type, body, limits);
  }
  if (!http::isMediaType(content_type, "application/x-www-form-urlencoded")) {
    return Rejection(Errc::kUnsupportedMediaType, reasons::kWrongContentType,
                     "Content-Type must be multipart/form-data or "
                     "application/x-www-form-urlencoded");
  }
  if (body.size() > limits.max_body_bytes) {
    return Rejection(Errc::kTooLarge, reasons::kBodyTooLarge,
                     "body is larger than " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  Result<std::vector<FormField>> fields = parseFormUrlencoded(body);
  if (!fields) return Rejection(Errc::kMalformedInput, kMalformedForm, fields.error().message());
  if (fields->size() > limits.max_parts) {
    return Rejection(Errc::kTooLarge, kTooManyParts,
                     "more than " + std::to_string(limits.max_parts) + " fields");
  }
  std::vector<FormPart> parts;
  parts.reserve(fields->size());
  for (FormField& field : *fields) {
    const bool large = std::find(limits.large_fields.begin(), limits.large_fields.end(),
                                 field.name) != limits.large_fields.end();
    if (!large && field.value.size() > limits.max_field_bytes) {
      return Rejection(Errc::kTooLarge, kFieldTooLarge,
                       "field " + quoted(field.name) + " is larger than " +
                           std::to_string(limits.max_field_bytes) + " bytes");
    }
    FormPart& part = parts.emplace_back();
    part.name = std::move(field.name);
    part.data = std::move(field.value);
  }
  return parts;
}

const FormPart* findField(const std::vector<FormPart>& parts, std::string_view name) {
  for (const FormPart& part : parts) {
    if (!part.isFile() && part.name == name) return &part;
  }
  return nullptr;
}

}  // namespace switchboard::connectors::email
