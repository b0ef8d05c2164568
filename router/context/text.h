// Small text helpers of the context record: UTF-8 safe truncation (snippets, subjects, names
// must stay bounded and valid UTF-8, which protobuf `string` fields require), the snippet and
// subject forms, and the stable 64-bit hash under which email Message-IDs and provider
// conversation ids are remembered. Pure; stateless; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::context {

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence. Valid UTF-8 in, valid UTF-8 out.
std::string_view truncateUtf8(std::string_view text, size_t max_bytes);

// `text` with every run of whitespace (spaces, tabs, newlines) collapsed to one space and the
// ends trimmed, then truncated to `max_bytes` as truncateUtf8() does.
std::string makeSnippet(std::string_view text, size_t max_bytes);

// A conversation subject: `subject` without its "Re:", "Fwd:", "Fw:" prefixes (any case, any
// number of them), as a snippet.
std::string makeSubject(std::string_view subject, size_t max_bytes);

// FNV-1a 64 of a thread key (an email Message-ID or a provider conversation id) after removing
// surrounding whitespace and angle brackets, so that "<a@b>" and "a@b" agree. Stable across
// builds and machines (it is stored). 0 for an empty key.
uint64_t threadKeyHash(std::string_view key);

}  // namespace switchboard::context
