#include "connectors/common/request_checks.h"

#include "connectors/common/rejection_reasons.h"
#include "core/http/media_type.h"

namespace switchboard::connectors {

std::optional<Rejection> rejectUnlessMediaType(const http::Request& request,
                                               std::string_view media_type) {
  if (http::isMediaType(request.header("Content-Type"), media_type)) return std::nullopt;
  std::string detail = "Content-Type must be ";
  detail.append(media_type);
  detail.append(" (UTF-8)");
  return Rejection(Errc::kUnsupportedMediaType, reasons::kWrongContentType, std::move(detail));
}

std::optional<Rejection> rejectIfLargerThan(const http::Request& request, size_t max_bytes) {
  if (request.body.size() <= max_bytes) return std::nullopt;
  return Rejection(Errc::kTooLarge, reasons::kBodyTooLarge,
                   "body is larger than " + std::to_string(max_bytes) + " bytes");
}

Rejection missingField(const std::string& path) {
  return Rejection(Errc::kMissingField, reasons::kMissingField, path + " is required");
}

Rejection invalidField(const std::string& path, std::string_view what) {
  std::string detail = path;
  detail += ' ';
  detail += what;
  return Rejection(Errc::kMalformedInput, reasons::kInvalidField, std::move(detail));
}

std::string jsonPath(std::string_view parent, std::string_view field) {
  std::string path(parent);
  path += '.';
  path += field;
  return path;
}

bool isDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace switchboard::connectors
