// Result<T> and the project's error codes. Errors travel as values on the data path: each
// carries an Errc, a class (retryable / permanent / bug) and a message for humans. Mapping to
// HTTP statuses, SMTP replies or exit codes happens at the edges only.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <boost/system/result.hpp>

namespace switchboard {

enum class Errc {
  kOk = 0,
  // Permanent: the input is wrong and retrying will not help.
  kInvalidArgument,
  kMalformedInput,
  kMissingField,
  kTooLarge,
  kUnsupportedMediaType,
  kNotFound,
  kUnauthenticated,
  // Authenticated (or not needing it) but not allowed: a bad signature, a wrong verify token.
  kForbidden,
  // Retryable: try again later.
  kUnavailable,
  kTimeout,
  kBackPressure,
  // I/O trouble (disk, network): retryable.
  kIo,
  // Bugs or broken environment.
  kInternal,
  kCorruptState,
  kConfig,
};

enum class ErrorClass { kRetryable, kPermanent, kBug };

std::string_view errcName(Errc code);
ErrorClass classify(Errc code);

// An error value. Cheap to move; the message is for logs and API answers.
class Error {
 public:
  Error() = default;  // required by boost::system::result; never produced by our code
  Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}
  Errc code() const { return code_; }
  const std::string& message() const { return message_; }
  ErrorClass errorClass() const { return classify(code_); }
  bool retryable() const { return errorClass() == ErrorClass::kRetryable; }
  std::string describe() const;

 private:
  Errc code_ = Errc::kInternal;
  std::string message_;
};

template <typename T>
using Result = boost::system::result<T, Error>;
using Status = boost::system::result<void, Error>;

inline Status okStatus() {
  return {};
}

inline Error makeError(Errc code, std::string message) {
  return Error(code, std::move(message));
}

}  // namespace switchboard

namespace boost::system {
// Tells boost::system::result how to report an Error when value() is called on a failure
// (only ever in start-up code and tests: the data path checks has_value()).
[[noreturn]] void throw_exception_from_error(const switchboard::Error& e,
                                             const boost::source_location& loc);
}  // namespace boost::system

#define SB_CONCAT_INNER(a, b) a##b
#define SB_CONCAT(a, b) SB_CONCAT_INNER(a, b)

// Returns the error of `expr` (a Result or Status) from the enclosing function.
#define SB_RETURN_IF_ERROR(expr)                           \
  do {                                                     \
    auto&& sb_status_ = (expr);                            \
    if (!sb_status_) return std::move(sb_status_).error(); \
  } while (false)

#define SB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp) return std::move(tmp).error();       \
  lhs = std::move(*tmp)

// `SB_ASSIGN_OR_RETURN(auto x, f());` declares x from f()'s value or returns its error.
#define SB_ASSIGN_OR_RETURN(lhs, expr) \
  SB_ASSIGN_OR_RETURN_IMPL(SB_CONCAT(sb_result_, __LINE__), lhs, expr)
