// Content-Type checks shared by connectors. Pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace switchboard::http {

// True when `content_type` (a Content-Type header value, possibly absent) names the media
// type `expected` ("application/json"), ignoring case and parameters, and any charset
// parameter is UTF-8 (or its subset US-ASCII).
bool isMediaType(std::optional<std::string_view> content_type, std::string_view expected);

}  // namespace switchboard::http
