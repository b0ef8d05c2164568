#include "tests/integration/support/pipeline_fixture.h"

#include <stdexcept>

namespace switchboard::testing {

PipelineFixture::PipelineFixture() {
  auto cluster = kafka::EmbeddedCluster::start();
  if (!cluster) throw std::runtime_error(cluster.error().describe());
  cluster_ = std::move(*cluster);
  topics_ = Topics::withPrefix("switchboard.");
  std::vector<kafka::TopicSpec> specs = {
      {topics_.inbound, kPartitions},
      {topics_.identity_links, kPartitions},
      {topics_.customer_messages, kPartitions},
      {topics_.profiles, kPartitions},
      {topics_.customer_events, kPartitions},
      {topics_.work_items, kPartitions},
      {topics_.agent_events, kPartitions},
      {topics_.assignments, kPartitions},
      {topics_.dead_letters, 3},
      {"switchboard.identity.changelog.v1", kPartitions},
      {"switchboard.context.changelog.v1", kPartitions},
      {"switchboard.dispatch.changelog.v1", kPartitions},
  };
  if (auto s = cluster_->createTopics(specs); !s) throw std::runtime_error(s.error().describe());
  settings_ = cluster_->clientSettings();
  auto producer = kafka::Producer::create(settings_, {});
  if (!producer) throw std::runtime_error(producer.error().describe());
  producer_ = std::move(*producer);
}

void PipelineFixture::produce(const std::string& topic, const std::string& key,
                              const std::string& value, const std::string& event_id,
                              const std::string& type) {
  kafka::OutgoingRecord r{
      .topic = topic, .key = key, .value = value, .event_id = event_id, .event_type = type};
  if (auto s = producer_->produce(r, nullptr); !s) throw std::runtime_error(s.error().describe());
  if (auto s = producer_->flush(std::chrono::seconds(10)); !s) {
    throw std::runtime_error(s.error().describe());
  }
}

void PipelineFixture::announceAgent(const std::string& agent_id, uint32_t chats) {
  v1::AgentEvent event;
  event.mutable_envelope()->set_event_id("agent-" + agent_id + "-available");
  event.set_agent_id(agent_id);
  event.set_domain("default");
  auto* presence = event.mutable_presence();
  presence->set_presence(v1::PRESENCE_AVAILABLE);
  auto* cap = presence->add_capacities();
  cap->set_channel(v1::CHANNEL_CHAT);
  cap->set_max_concurrent(chats);
  produce(topics_.agent_events, "default", event.SerializeAsString(), event.envelope().event_id(),
          "switchboard.v1.AgentEvent");
}

void PipelineFixture::sendChat(const std::string& visitor, const std::string& message_id,
                               const std::string& text) {
  v1::InboundMessage m;
  std::string key = "chat:" + visitor + ":" + message_id;
  m.mutable_envelope()->set_event_id("in-" + visitor + "-" + message_id);
  m.mutable_envelope()->set_idempotency_key(key);
  m.mutable_envelope()->set_producer("connector/chat");
  m.set_channel(v1::CHANNEL_CHAT);
  m.set_provider("webchat");
  m.mutable_sender()->set_channel(v1::CHANNEL_CHAT);
  m.mutable_sender()->set_value("chat:" + visitor);
  m.set_text(text);
  m.set_provider_message_id(message_id);
  produce(topics_.inbound, m.sender().value(), m.SerializeAsString(), m.envelope().event_id(),
          "switchboard.v1.InboundMessage");
}

}  // namespace switchboard::testing
