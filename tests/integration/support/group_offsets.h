// What a consumer group has committed, read the way any Kafka tool would (OffsetFetch),
// so that a test can wait until a stage has durably processed everything.
#pragma once

#include <cstdint>
#include <string>

#include "core/kafka/kafka_settings.h"

namespace switchboard::testing {

// Sum over partitions of (end offset − committed offset); partitions never committed count
// their whole length. 0 means the group has committed everything produced so far.
int64_t groupLag(const kafka::KafkaSettings& settings, const std::string& group,
                 const std::string& topic, int32_t partitions);

}  // namespace switchboard::testing
