// Creates Switchboard's topics on a real cluster through the Admin API (CreateTopics).
// Existing topics are left as they are; a partition count that differs from the spec is
// reported, because co-partitioned topics must agree.
#pragma once

#include <chrono>
#include <vector>

#include "core/kafka/kafka_settings.h"
#include "core/kafka/topic_spec.h"
#include "core/result.h"

namespace switchboard::kafka {

Status ensureTopics(const KafkaSettings& settings, const std::vector<TopicSpec>& topics,
                    std::chrono::milliseconds timeout);

}  // namespace switchboard::kafka
