// The one place where connector and ingress errors become HTTP answers.
#pragma once

#include <chrono>
#include <string_view>

#include "core/http/http_types.h"
#include "core/result.h"

namespace switchboard::http {

// 400 malformed / missing / invalid, 401 unauthenticated, 403 forbidden, 404, 413 too large,
// 415 unsupported media type, 503 for everything worth retrying, 500 for bugs.
int httpStatusFor(Errc code);

// A JSON error answer for `code`: {"error":{"code":"<reason>","message":"<detail>"}}.
http::Response errorResponse(Errc code, std::string_view reason, std::string_view detail);

// 503 with Retry-After: the message was not stored; the sender should try again.
http::Response unavailableResponse(std::chrono::seconds retry_after, std::string_view detail);

}  // namespace switchboard::http
