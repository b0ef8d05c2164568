// Records as Switchboard produces them. Every record we write carries two headers:
// `sb-id` (the event id, deterministic for stage outputs, so replays can be recognised) and
// `sb-type` (the protobuf message type of the value).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::kafka {

inline constexpr std::string_view kIdHeader = "sb-id";
inline constexpr std::string_view kTypeHeader = "sb-type";

inline constexpr int32_t kAnyPartition = -1;

struct OutgoingRecord {
  std::string topic;
  // kAnyPartition lets the producer's partitioner (murmur2, Java-compatible) choose by key.
  int32_t partition = kAnyPartition;
  std::string key;
  std::string value;
  std::string event_id;
  std::string event_type;
};

}  // namespace switchboard::kafka
