// The first checks every connector makes on a request, with one wording across channels.
// Each returns the Rejection to answer with, or nothing when the request passes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "core/http/http_types.h"

namespace switchboard::connectors {

// 415 wrong_content_type unless the Content-Type is `media_type` (UTF-8 or no charset).
std::optional<Rejection> rejectUnlessMediaType(const http::Request& request,
                                               std::string_view media_type);
// 413 body_too_large when the body exceeds `max_bytes`.
std::optional<Rejection> rejectIfLargerThan(const http::Request& request, size_t max_bytes);

// For JSON payloads: field paths ("message.from.id") in rejection details.
Rejection missingField(const std::string& path);                         // "<path> is required"
Rejection invalidField(const std::string& path, std::string_view what);  // "<path> <what>"
std::string jsonPath(std::string_view parent, std::string_view field);
bool isDigits(std::string_view s);

}  // namespace switchboard::connectors
