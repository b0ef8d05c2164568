// The embedded Kafka: librdkafka's mock cluster, a real Kafka-protocol broker on 127.0.0.1
// that any client (kcat too) can reach. In memory only, about 5 MiB kept per partition (older
// records silently dropped), no compaction, no transaction semantics, no CreateTopics API
// (topics are created here), about 3 s before a new consumer group's first assignment.
// For trying Switchboard and for tests; deployments point --brokers at a real cluster.
#pragma once

#include <librdkafka/rdkafka.h>
// clang-format off: the mock header must follow rdkafka.h
#include <librdkafka/rdkafka_mock.h>

#include <memory>
#include <string>
#include <vector>

#include "core/kafka/kafka_settings.h"
#include "core/kafka/topic_spec.h"
#include "core/result.h"

namespace switchboard::kafka {

class EmbeddedCluster {
 public:
  static Result<std::unique_ptr<EmbeddedCluster>> start(int broker_count = 1);
  ~EmbeddedCluster();

  // "127.0.0.1:PORT[,...]", for --brokers of other processes and for kcat -b.
  std::string bootstrapServers() const;
  // How a client in this process reaches it: the bootstrap servers, and producers with one
  // request in flight (KafkaSettings::one_produce_request_in_flight says why).
  KafkaSettings clientSettings() const;
  Status createTopics(const std::vector<TopicSpec>& topics);

  // For fault-injection tests: the mock's error injection and broker up/down controls.
  rd_kafka_mock_cluster_t* mock() { return cluster_; }

 private:
  EmbeddedCluster() = default;
  HandlePtr host_;  // the mock cluster lives inside this client instance
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace switchboard::kafka
