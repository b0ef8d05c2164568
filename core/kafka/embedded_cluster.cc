#include "core/kafka/embedded_cluster.h"

namespace switchboard::kafka {

Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::start(int broker_count) {
  ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  // A client with no bootstrap servers of its own only hosts the mock brokers.
  if (rd_kafka_conf_set(conf.get(), "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    return makeError(Errc::kConfig, errstr);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) return makeError(Errc::kInternal, std::string("embedded kafka: ") + errstr);
  conf.release();
  std::unique_ptr<EmbeddedCluster> cluster(new EmbeddedCluster());
  cluster->host_.reset(rk);
  cluster->cluster_ = rd_kafka_mock_cluster_new(rk, broker_count);
  if (cluster->cluster_ == nullptr) {
    return makeError(Errc::kIo, "embedded kafka: could not start the mock cluster");
  }
  return cluster;
}

EmbeddedCluster::~EmbeddedCluster() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

std::string EmbeddedCluster::bootstrapServers() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

KafkaSettings EmbeddedCluster::clientSettings() const {
  KafkaSettings settings;
  settings.brokers = bootstrapServers();
  settings.one_produce_request_in_flight = true;
  return settings;
}

Status EmbeddedCluster::createTopics(const std::vector<TopicSpec>& topics) {
  for (const auto& t : topics) {
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_, t.name.c_str(), t.partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return kafkaError(err, "create topic " + t.name);
    }
  }
  return okStatus();
}

}  // namespace switchboard::kafka
