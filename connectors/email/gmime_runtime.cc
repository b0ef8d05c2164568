#include "connectors/email/gmime_runtime.h"

#include <mutex>

#include "connectors/email/gmime_parse_only.h"

namespace switchboard::connectors::email {
namespace {

// A parser per thread: g_mime_parser_new() allocates a 4 KB read buffer and a GObject, which
// g_mime_parser_init_with_stream() keeps (it resets every other piece of state: headers,
// boundaries, offsets). Between messages it holds an empty stream, never the last message's.
struct ThreadParser {
  GObjectPtr<GMimeParser> parser{g_mime_parser_new()};
  GObjectPtr<GMimeStream> idle{g_mime_stream_mem_new()};
};

}  // namespace

GMimeParserOptions* gmimeParserOptions() {
  static std::once_flag once;
  static GMimeParserOptions* options = nullptr;
  std::call_once(once, [] {
    g_mime_init();
    options = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
    // Raw 8-bit header text without an encoded-word: mail clients send UTF-8 today; older
    // Western ones sent Windows-1252, which also decodes any byte sequence.
    const char* fallback[] = {"UTF-8", "windows-1252", nullptr};
    g_mime_parser_options_set_fallback_charsets(options, fallback);
  });
  return options;
}

BorrowedMessage::BorrowedMessage(std::string_view raw) {
  GMimeParserOptions* options = gmimeParserOptions();  // g_mime_init() before any GMime object
  thread_local ThreadParser local;
  if (raw.size() > G_MAXUINT) return;  // a GByteArray's length is a guint
  // GMime reads the array and never writes it (no write is made to the stream).
  view_.data = reinterpret_cast<guint8*>(const_cast<char*>(raw.data()));
  view_.len = static_cast<guint>(raw.size());
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_byte_array(&view_));
  g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream.get()), FALSE);
  g_mime_parser_init_with_stream(local.parser.get(), stream.get());
  message_.reset(g_mime_parser_construct_message(local.parser.get(), options));
  g_mime_parser_init_with_stream(local.parser.get(), local.idle.get());
}

bool parseAndFreeWithGMime(std::string_view raw) {
  const BorrowedMessage parsed(raw);
  return parsed.message() != nullptr;
}

}  // namespace switchboard::connectors::email
