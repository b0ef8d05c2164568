#include "core/http/error_status.h"

#include <string>

namespace switchboard::http {

int httpStatusFor(Errc code) {
  switch (code) {
    case Errc::kOk: return 200;
    case Errc::kInvalidArgument:
    case Errc::kMalformedInput:
    case Errc::kMissingField: return 400;
    case Errc::kUnauthenticated: return 401;
    case Errc::kForbidden: return 403;
    case Errc::kNotFound: return 404;
    case Errc::kTooLarge: return 413;
    case Errc::kUnsupportedMediaType: return 415;
    case Errc::kUnavailable:
    case Errc::kTimeout:
    case Errc::kBackPressure:
    case Errc::kIo: return 503;
    case Errc::kInternal:
    case Errc::kCorruptState:
    case Errc::kConfig: return 500;
  }
  return 500;
}

http::Response errorResponse(Errc code, std::string_view reason, std::string_view detail) {
  return http::jsonError(httpStatusFor(code), reason, detail);
}

http::Response unavailableResponse(std::chrono::seconds retry_after, std::string_view detail) {
  http::Response response =
      http::jsonError(httpStatusFor(Errc::kUnavailable), "unavailable", detail);
  response.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return response;
}

}  // namespace switchboard::http
