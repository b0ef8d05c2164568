// Reads one partition from a given offset up to its current end, outside any consumer group.
// Used at partition assignment: to restore a stage's state from its changelog, and to find
// which of a stage's pending outputs already reached their topic. Not for the hot path:
// each instance opens its own connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/kafka/consumer.h"
#include "core/kafka/kafka_settings.h"
#include "core/result.h"

namespace switchboard::kafka {

struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};

class PartitionReader {
 public:
  static Result<std::unique_ptr<PartitionReader>> create(const KafkaSettings& settings);

  Result<Watermarks> watermarks(const std::string& topic, int32_t partition,
                                std::chrono::milliseconds timeout);

  // Calls `visit` for each record of [from, high watermark at the time of the call), in order.
  // `from` below the low watermark starts at the low watermark (records the broker dropped).
  Status readToEnd(const std::string& topic, int32_t partition, int64_t from,
                   const std::function<Status(const rd_kafka_message_t&)>& visit,
                   std::chrono::milliseconds timeout);

 private:
  HandlePtr rk_;
};

}  // namespace switchboard::kafka
