// decodeHeaderText(): unstructured header text (Subject) to UTF-8 through GMime's RFC 2047
// decoder, which also copes with the usual breakage (encoded-words inside words, missing
// spaces between them, raw 8-bit text, decoded with the parser options' fallback charsets).
#include <string>

#include "connectors/email/email_normalizer.h"
#include "connectors/email/gmime_runtime.h"
#include "connectors/email/utf8_text.h"

namespace switchboard::connectors::email {

std::string decodeHeaderText(std::string_view header_value) {
  // Unfold (RFC 5322 2.2.3): a line break followed by white space is just that white space.
  std::string unfolded;
  unfolded.reserve(header_value.size());
  for (char c : header_value) {
    if (c != '\r' && c != '\n' && c != '\0') unfolded += c;
  }
  GMimeParserOptions* options = gmimeParserOptions();
  char* decoded = g_mime_utils_header_decode_text(options, unfolded.c_str());
  std::string text = sanitizeUtf8(trimSpace(decoded != nullptr ? decoded : ""));
  g_free(decoded);
  return text;
}

}  // namespace switchboard::connectors::email
