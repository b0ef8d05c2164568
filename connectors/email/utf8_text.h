// UTF-8 helpers for email text. Internal to connectors/email/. Protobuf `string` fields must
// hold valid UTF-8 (serialization refuses anything else), and every header, filename and body
// of a stranger's mail may be anything, so whatever reaches an InboundMessage passes through
// sanitizeUtf8(). Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace switchboard::connectors::email {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// True when `bytes` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool isValidUtf8(std::string_view bytes);

// `bytes` with every ill-formed sequence replaced by U+FFFD (one per maximal invalid subpart,
// as the Unicode standard recommends) and NUL bytes dropped.
std::string sanitizeUtf8(std::string_view bytes);

// Cuts valid UTF-8 `text` to at most `max_code_points` code points. Returns true when it cut.
bool truncateCodePoints(std::string& text, size_t max_code_points);

// Cuts valid UTF-8 `text` to at most `max_bytes` bytes without splitting a code point.
// Returns true when it cut.
bool truncateBytes(std::string& text, size_t max_bytes);

// `text` without leading and trailing spaces, tabs, CR and LF.
std::string_view trimSpace(std::string_view text);

}  // namespace switchboard::connectors::email
