// Builders for dispatch inputs with explicit times, shared by the dispatch engine and stage
// tests. Times are whole seconds after a fixed epoch (kT0), so expectations read as t+N.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "router/dispatch/dispatch_engine.h"
#include "router/dispatch/proto_time.h"
#include "switchboard/v1/agent_event.pb.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::dispatch::testing {

inline constexpr char kPool[] = "support";
inline const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

inline TimePoint at(int seconds) {
  return kT0 + std::chrono::seconds(seconds);
}

struct Work {
  std::string id;
  v1::Channel channel = v1::CHANNEL_CHAT;
  int32_t priority = 0;
  int enqueued = 0;  // seconds after kT0
  std::vector<std::string> skills;
  std::string pool = kPool;
};

inline v1::WorkItem makeWork(const Work& w) {
  v1::WorkItem item;
  item.set_work_item_id(w.id);
  item.set_pool_id(w.pool);
  item.set_queue_id("general");
  item.set_customer_id("cust-" + w.id);
  item.set_conversation_id("conv-" + w.id);
  item.set_channel(w.channel);
  item.set_priority(w.priority);
  for (const std::string& skill : w.skills) item.add_required_skills(skill);
  setTimestamp(item.mutable_enqueued_at(), at(w.enqueued));
  item.mutable_envelope()->set_event_id("wi-event-" + w.id);
  item.mutable_envelope()->set_trace_id("0123456789abcdef0123456789abcdef");
  return item;
}

struct Presence {
  std::string agent;
  v1::Presence presence = v1::PRESENCE_AVAILABLE;
  std::vector<std::pair<v1::Channel, uint32_t>> capacities;
  std::vector<std::string> skills;
  std::string pool = kPool;
};

inline v1::AgentEvent makePresence(const Presence& p) {
  v1::AgentEvent event;
  event.set_agent_id(p.agent);
  event.set_pool_id(p.pool);
  event.mutable_envelope()->set_event_id("presence-" + p.agent);
  v1::PresenceChanged* change = event.mutable_presence();
  change->set_presence(p.presence);
  for (const auto& [channel, max] : p.capacities) {
    v1::ChannelCapacity* capacity = change->add_capacities();
    capacity->set_channel(channel);
    capacity->set_max_concurrent(max);
  }
  for (const std::string& skill : p.skills) change->add_skills(skill);
  return event;
}

inline v1::AgentEvent makeCompleted(const std::string& agent, const std::string& work_item_id,
                                    const std::string& pool = kPool) {
  v1::AgentEvent event;
  event.set_agent_id(agent);
  event.set_pool_id(pool);
  event.mutable_envelope()->set_event_id("completed-" + work_item_id);
  event.mutable_completed()->set_work_item_id(work_item_id);
  return event;
}

// "work -> agent" for each assignment, in order: compact expectations.
inline std::vector<std::string> pairs(const Outcome& out) {
  std::vector<std::string> result;
  for (const v1::Assignment& a : out.assignments) {
    result.push_back(a.work_item_id() + " -> " + a.agent_id());
  }
  return result;
}

}  // namespace switchboard::dispatch::testing
