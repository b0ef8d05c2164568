#include "connectors/email/gmime_runtime.h"

#include <mutex>

namespace switchboard::connectors::email {

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

}  // namespace switchboard::connectors::email
