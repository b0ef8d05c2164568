#include "core/kafka/cluster_id.h"

namespace switchboard::kafka {

Result<std::string> fetchClusterId(const KafkaSettings& settings,
                                   std::chrono::milliseconds timeout) {
  SB_ASSIGN_OR_RETURN(HandlePtr rk, makeAdminClient(settings));
  char* raw = rd_kafka_clusterid(rk.get(), static_cast<int>(timeout.count()));
  if (raw == nullptr) {
    return makeError(Errc::kUnavailable, "the Kafka cluster at " + settings.brokers +
                                             " did not tell its cluster id in time");
  }
  std::string result(raw);
  rd_kafka_mem_free(rk.get(), raw);
  return result;
}

bool isMockClusterId(std::string_view cluster_id) {
  return cluster_id.starts_with("mockCluster");
}

}  // namespace switchboard::kafka
