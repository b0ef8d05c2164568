#include "router/dispatch/proto_time.h"

#include <limits>

namespace switchboard::dispatch {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// Seconds that still fit in int64 nanoseconds, leaving room for the nanos part.
constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / kNanosPerSecond - 1;
constexpr int64_t kMinSeconds = -kMaxSeconds;

}  // namespace

int64_t toUnixNanos(const google::protobuf::Timestamp& ts) {
  int64_t seconds = ts.seconds();
  if (seconds > kMaxSeconds) seconds = kMaxSeconds;
  if (seconds < kMinSeconds) seconds = kMinSeconds;
  int64_t nanos = ts.nanos();
  if (nanos < 0 || nanos >= kNanosPerSecond) nanos = 0;  // invalid per the Timestamp spec
  return seconds * kNanosPerSecond + nanos;
}

int64_t toUnixNanos(TimePoint tp) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
}

TimePoint toTimePoint(const google::protobuf::Timestamp& ts) {
  return TimePoint(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(toUnixNanos(ts))));
}

void setTimestamp(google::protobuf::Timestamp* out, TimePoint tp) {
  const int64_t ns = toUnixNanos(tp);
  int64_t seconds = ns / kNanosPerSecond;
  int64_t nanos = ns % kNanosPerSecond;
  if (nanos < 0) {  // Timestamp wants nanos in [0, 1e9) also before the epoch
    nanos += kNanosPerSecond;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(nanos));
}

void setDuration(google::protobuf::Duration* out, std::chrono::nanoseconds d) {
  // Duration wants seconds and nanos of the same sign; C++ division truncates toward zero,
  // which gives exactly that.
  const int64_t ns = d.count();
  out->set_seconds(ns / kNanosPerSecond);
  out->set_nanos(static_cast<int32_t>(ns % kNanosPerSecond));
}

}  // namespace switchboard::dispatch
