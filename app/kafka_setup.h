// Gets Kafka ready for a command: either starts the embedded cluster (no --brokers) and
// creates the topics in it, or creates missing topics on the real cluster via the Admin API.
// Prints the bootstrap address so that kcat and other processes can connect.
#pragma once

#include <memory>

#include "app/options.h"
#include "core/kafka/embedded_cluster.h"
#include "core/result.h"

namespace switchboard::app {

// On success `options.kafka.brokers` is set; `embedded` holds the cluster when one was started.
Status prepareKafka(Options& options, std::unique_ptr<kafka::EmbeddedCluster>& embedded);

}  // namespace switchboard::app
