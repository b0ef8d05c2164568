// Conversions between google.protobuf.Timestamp/Duration and std::chrono for the dispatch
// engine. Timestamps from the wire can hold any value; these helpers clamp to the range of
// system_clock (about ±292 years around 1970 with nanosecond ticks) instead of overflowing.
// Stateless; usable from any thread.
#pragma once

#include <chrono>
#include <cstdint>

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

namespace switchboard::dispatch {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// Nanoseconds since the Unix epoch, clamped to int64; an unset Timestamp gives 0.
int64_t toUnixNanos(const google::protobuf::Timestamp& ts);
int64_t toUnixNanos(TimePoint tp);

TimePoint toTimePoint(const google::protobuf::Timestamp& ts);
void setTimestamp(google::protobuf::Timestamp* out, TimePoint tp);
void setDuration(google::protobuf::Duration* out, std::chrono::nanoseconds d);

// True when the Timestamp holds a value other than the epoch (proto3's "unset").
inline bool isSet(const google::protobuf::Timestamp& ts) {
  return ts.seconds() != 0 || ts.nanos() != 0;
}

}  // namespace switchboard::dispatch
