// An embedded Kafka cluster in the test process with Switchboard's topics created, a
// producer, and helpers to put agents and customer messages on the topics the way the
// connectors and the agent API would. Child switchboard processes connect via brokers().
#pragma once

#include <memory>
#include <string>

#include "core/kafka/embedded_cluster.h"
#include "core/kafka/producer.h"
#include "core/topics.h"
#include "switchboard/v1/agent_event.pb.h"
#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::testing {

class PipelineFixture {
 public:
  static constexpr int32_t kPartitions = 2;
  PipelineFixture();
  const std::string& brokers() const { return settings_.brokers; }
  const kafka::KafkaSettings& settings() const { return settings_; }
  const Topics& topics() const { return topics_; }
  kafka::EmbeddedCluster& cluster() { return *cluster_; }

  // An available agent of domain "default" who takes up to `chats` chats at once.
  void announceAgent(const std::string& agent_id, uint32_t chats);
  // A web-chat message from `visitor`, as the chat connector normalizes it.
  void sendChat(const std::string& visitor, const std::string& message_id, const std::string& text);
  void produce(const std::string& topic, const std::string& key, const std::string& value,
               const std::string& event_id, const std::string& type);

 private:
  std::unique_ptr<kafka::EmbeddedCluster> cluster_;
  kafka::KafkaSettings settings_;
  Topics topics_;
  std::unique_ptr<kafka::Producer> producer_;
};

}  // namespace switchboard::testing
