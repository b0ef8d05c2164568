// Which Kafka a process talks to, as far as it changes how clients must be configured.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/kafka/kafka_settings.h"
#include "core/result.h"

namespace switchboard::kafka {

// The cluster id the brokers report (a metadata round trip).
Result<std::string> fetchClusterId(const KafkaSettings& settings,
                                   std::chrono::milliseconds timeout);

// librdkafka's mock cluster names itself "mockCluster<hex>". It does not check idempotent
// producers' sequence numbers, which producers on it must make up for (see
// KafkaSettings::one_produce_request_in_flight).
bool isMockClusterId(std::string_view cluster_id);

}  // namespace switchboard::kafka
