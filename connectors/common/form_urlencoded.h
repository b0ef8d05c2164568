// application/x-www-form-urlencoded bodies (WHATWG URL standard, "urlencoded parsing"), as
// Twilio, Mailgun and HTML forms send them. Pure functions, safe from any thread.
//
// Stricter than the standard in two ways, because a connector must not guess what a signed
// body meant: a '%' not followed by two hex digits is an error (browsers keep it literally),
// and decoded names and values must be valid UTF-8 (browsers substitute U+FFFD), since they end
// up in protobuf `string` fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace switchboard::connectors {

struct FormField {
  std::string name;
  std::string value;

  friend bool operator==(const FormField&, const FormField&) = default;
};

// The fields of `body` in the order they appear; repeated names are kept, each as its own
// field. '&' separates fields (empty pieces are skipped), the first '=' splits name from value
// (a piece without '=' is a name with an empty value), '+' decodes to a space and %XX to the
// byte 0xXX. Fails with Errc::kMalformedInput on a bad escape or on invalid UTF-8; the message
// names the offending field's position, never its content.
Result<std::vector<FormField>> parseFormUrlencoded(std::string_view body);

// Decodes one component ('+' as space, %XX). nullopt on a bad escape. Does not check UTF-8.
std::optional<std::string> formUrldecode(std::string_view component);

// Encodes one component the way browsers do: ALPHA / DIGIT / "*-._" are kept, ' ' becomes '+',
// everything else %XX (uppercase). formUrldecode(formUrlencode(s)) == s for any s.
std::string formUrlencode(std::string_view component);

// The value of the first field called `name`, if any.
std::optional<std::string_view> formValue(const std::vector<FormField>& fields,
                                          std::string_view name);

// How many fields are called `name`.
size_t formCount(const std::vector<FormField>& fields, std::string_view name);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF).
bool isValidUtf8(std::string_view s);

}  // namespace switchboard::connectors
