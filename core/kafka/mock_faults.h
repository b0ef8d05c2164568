// Fault injection for the embedded cluster (librdkafka's mock), by the names an operator or a
// chaos harness writes: Kafka API names ("produce", "heartbeat"...) and broker error names
// ("NOT_LEADER_FOR_PARTITION"). Used by `switchboard kafka --fault-control` and by tests.
// Thread-safe: the mock cluster serialises its own controls.
#pragma once

#include <librdkafka/rdkafka.h>
// clang-format off: the mock header must follow rdkafka.h
#include <librdkafka/rdkafka_mock.h>
// clang-format on

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace switchboard::kafka {

// Kafka protocol API keys of the requests the pipeline makes, by lower-case name:
// produce, fetch, list_offsets, metadata, offset_commit, offset_fetch, find_coordinator,
// join_group, heartbeat, leave_group, sync_group, init_producer_id.
Result<int16_t> apiKeyByName(std::string_view name);
// A broker error by its Kafka name, with or without librdkafka's "RD_KAFKA_RESP_ERR_" prefix
// ("REBALANCE_IN_PROGRESS"); only broker errors (code > 0), not librdkafka's local ones.
Result<rd_kafka_resp_err_t> brokerErrorByName(std::string_view name);
// The API names apiKeyByName() knows, for error messages and docs.
const std::vector<std::string_view>& faultableApiNames();

class MockFaults {
 public:
  explicit MockFaults(rd_kafka_mock_cluster_t* cluster) : cluster_(cluster) {}

  // The next `count` requests of `api_key` (from any client) fail with `error`.
  Status failRequests(int16_t api_key, rd_kafka_resp_err_t error, int count);
  // Forget every queued request error of every API above.
  Status clearRequestErrors();
  // A broker down closes its connections and refuses new ones until it is up again.
  Status setBrokerDown(int32_t broker_id, bool down);
  // Added round-trip time for every response of the broker (0: none).
  Status setBrokerRtt(int32_t broker_id, int milliseconds);

 private:
  rd_kafka_mock_cluster_t* cluster_;
};

}  // namespace switchboard::kafka
