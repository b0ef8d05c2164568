#include "core/result.h"

#include <stdexcept>

namespace switchboard {

std::string_view errcName(Errc code) {
  switch (code) {
    case Errc::kOk: return "ok";
    case Errc::kInvalidArgument: return "invalid_argument";
    case Errc::kMalformedInput: return "malformed_input";
    case Errc::kMissingField: return "missing_field";
    case Errc::kTooLarge: return "too_large";
    case Errc::kUnsupportedMediaType: return "unsupported_media_type";
    case Errc::kNotFound: return "not_found";
    case Errc::kUnauthenticated: return "unauthenticated";
    case Errc::kForbidden: return "forbidden";
    case Errc::kUnavailable: return "unavailable";
    case Errc::kTimeout: return "timeout";
    case Errc::kBackPressure: return "back_pressure";
    case Errc::kInternal: return "internal";
    case Errc::kIo: return "io";
    case Errc::kCorruptState: return "corrupt_state";
    case Errc::kConfig: return "config";
  }
  return "unknown";
}

ErrorClass classify(Errc code) {
  switch (code) {
    case Errc::kUnavailable:
    case Errc::kTimeout:
    case Errc::kBackPressure:
    case Errc::kIo: return ErrorClass::kRetryable;
    case Errc::kInternal:
    case Errc::kCorruptState: return ErrorClass::kBug;
    default: return ErrorClass::kPermanent;
  }
}

std::string Error::describe() const {
  std::string out(errcName(code_));
  out += ": ";
  out += message_;
  return out;
}

}  // namespace switchboard

namespace boost::system {
void throw_exception_from_error(const switchboard::Error& e, const boost::source_location&) {
  throw std::runtime_error(e.describe());
}
}  // namespace boost::system
