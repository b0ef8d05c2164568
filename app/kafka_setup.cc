#include "app/kafka_setup.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/topology.h"
#include "core/kafka/cluster_id.h"
#include "core/kafka/topic_admin.h"
#include "core/log.h"

namespace switchboard::app {

Status prepareKafka(Options& options, std::unique_ptr<kafka::EmbeddedCluster>& embedded) {
  auto specs = topicSpecs(options);
  if (!options.kafka.brokers.empty()) {
    log::info("kafka", "using the Kafka cluster at " + options.kafka.brokers);
    SB_RETURN_IF_ERROR(kafka::ensureTopics(options.kafka, specs, std::chrono::seconds(30)));
    SB_ASSIGN_OR_RETURN(std::string cluster_id,
                        kafka::fetchClusterId(options.kafka, std::chrono::seconds(30)));
    if (kafka::isMockClusterId(cluster_id)) {
      // Another process's embedded cluster (`switchboard kafka`): see the setting's comment.
      options.kafka.one_produce_request_in_flight = true;
      log::info("kafka", "cluster " + cluster_id +
                             " is librdkafka's mock: one produce request in flight per broker");
    }
    return okStatus();
  }
  SB_ASSIGN_OR_RETURN(embedded, kafka::EmbeddedCluster::start(options.embedded_brokers));
  SB_RETURN_IF_ERROR(embedded->createTopics(specs));
  options.kafka.brokers = embedded->bootstrapServers();
  options.kafka.one_produce_request_in_flight = true;
  std::printf(
      "Embedded Kafka (librdkafka mock cluster) listening on %s\n"
      "  In memory only; ~5 MiB kept per partition; for trying Switchboard and tests.\n"
      "  Try: kcat -b %s -L\n",
      options.kafka.brokers.c_str(), options.kafka.brokers.c_str());
  std::fflush(stdout);
  if (!options.bootstrap_file.empty()) {
    std::filesystem::path path(options.bootstrap_file);
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::trunc);
    out << options.kafka.brokers << "\n";
    if (!out) return makeError(Errc::kIo, "cannot write " + options.bootstrap_file);
  }
  return okStatus();
}

}  // namespace switchboard::app
