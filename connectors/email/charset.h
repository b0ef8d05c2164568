// toUtf8() for text this folder already owns. Internal to connectors/email/; pure, safe from
// any thread.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::connectors::email {

// toUtf8(bytes, charset) with the same result, reusing `bytes` when it already is what the
// result would be (declared or detected UTF-8, valid, no NUL: a decoded body usually is), so
// that a body is not copied once more.
std::string toUtf8Owned(std::string bytes, std::string_view charset);

}  // namespace switchboard::connectors::email
