// Reads every record of a topic (all partitions, from the start to the current end) with an
// ordinary Kafka consumer outside any group: what a helpdesk or kcat would see.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/kafka/kafka_settings.h"

namespace switchboard::testing {

struct TopicRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::string event_id;    // sb-id header
  std::string event_type;  // sb-type header
};

std::vector<TopicRecord> readTopic(const kafka::KafkaSettings& settings, const std::string& topic,
                                   int32_t partitions);

}  // namespace switchboard::testing
