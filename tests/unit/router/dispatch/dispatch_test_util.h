// Builders for dispatch inputs with explicit times, a small routing policy, and a store that
// persists what Outcomes report, shared by the dispatch engine and stage tests. Times are whole
// seconds after a fixed epoch (kT0), so expectations read as t+N.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "router/dispatch/dispatch_engine.h"
#include "router/dispatch/proto_time.h"
#include "router/policy/policy_loader.h"
#include "switchboard/v1/agent_event.pb.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::dispatch::testing {

inline constexpr char kDomain[] = "default";
inline const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

inline TimePoint at(int seconds) {
  return kT0 + std::chrono::seconds(seconds);
}

// tier1: English speakers (chat 2, email 3, longest-idle); tier2: holders of "tier2"
// (least-busy, stated capacities); partners p1, p2 (round-robin, chat 1). Queue "chat" widens
// to tier2 after 90 s and to partners after 3 min, and gains 100 priority 30 s before its
// deadline.
inline constexpr char kPolicyYaml[] = R"(
defaults:
  reservation_timeout: 30s
  sticky_grace: 10m
pools:
  - name: tier1
    members: {skills: [en]}
    capacity: {chat: 2, email: 3}
    strategy: longest-idle
  - name: tier2
    members: {skills: [tier2]}
    strategy: least-busy
  - name: partners
    members: {agents: [p1, p2]}
    capacity: {chat: 1}
    strategy: round-robin
    sticky_grace: 1h
queues:
  - name: vip
    filter: 'tier == "vip"'
    priority: 100
    pool: tier1
  - name: chat
    filter: 'channel == "chat"'
    priority: 50
    sla_risk: {within: 30s, add: 100}
    pool: tier1
    overflow:
      - {after: 90s, widen_to: tier2}
      - {after: 3m, widen_to: partners}
  - name: catch-all
    pool: tier1
)";

inline std::shared_ptr<policy::Policy> parse(std::string_view yaml) {
  auto parsed = policy::parsePolicy(yaml, "test.yaml");
  if (!parsed) throw std::runtime_error(parsed.error().message());
  return std::make_shared<policy::Policy>(std::move(*parsed));
}

// The test policy; `reservation_timeout` 0 assigns without offers.
inline DispatchEngine::PolicyPtr testPolicy(
    policy::Seconds reservation_timeout = std::chrono::seconds(0)) {
  auto p = parse(kPolicyYaml);
  p->defaults.reservation_timeout = reservation_timeout;
  return p;
}

struct Work {
  std::string id;
  v1::Channel channel = v1::CHANNEL_CHAT;
  std::string queue = "chat";
  int32_t priority = 50;
  int enqueued = 0;  // seconds after kT0
  int deadline = 120;
  std::vector<std::string> skills;
  std::string conversation;  // default: "conv-" + id
  std::string customer;      // default: "cust-" + id
  std::string tier;
  std::string last_agent;
  int last_served = 0;
  std::string domain;  // empty: default
};

inline v1::WorkItem makeWork(const Work& w) {
  v1::WorkItem item;
  item.set_work_item_id(w.id);
  item.set_queue_id(w.queue);
  item.set_domain(w.domain);
  item.set_customer_id(w.customer.empty() ? "cust-" + w.id : w.customer);
  item.set_conversation_id(w.conversation.empty() ? "conv-" + w.id : w.conversation);
  item.set_channel(w.channel);
  item.set_priority(w.priority);
  item.set_tier(w.tier);
  for (const std::string& skill : w.skills) item.add_required_skills(skill);
  setTimestamp(item.mutable_enqueued_at(), at(w.enqueued));
  setTimestamp(item.mutable_sla_deadline(), at(w.deadline));
  if (!w.last_agent.empty()) {
    item.mutable_context()->set_last_agent_id(w.last_agent);
    setTimestamp(item.mutable_context()->mutable_last_served_at(), at(w.last_served));
  }
  item.mutable_envelope()->set_event_id("wi-event-" + w.id);
  item.mutable_envelope()->set_trace_id("0123456789abcdef0123456789abcdef");
  return item;
}

struct Presence {
  std::string agent;
  v1::Presence presence = v1::PRESENCE_AVAILABLE;
  std::vector<std::pair<v1::Channel, uint32_t>> capacities;
  std::vector<std::string> skills = {"en"};
  std::string domain;
};

inline v1::AgentEvent makePresence(const Presence& p) {
  v1::AgentEvent event;
  event.set_agent_id(p.agent);
  event.set_domain(p.domain);
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

inline v1::AgentEvent agentEvent(const std::string& agent, const std::string& event_id) {
  v1::AgentEvent event;
  event.set_agent_id(agent);
  event.mutable_envelope()->set_event_id(event_id);
  return event;
}

inline v1::AgentEvent makeCompleted(const std::string& agent, const std::string& work_item_id) {
  v1::AgentEvent event = agentEvent(agent, "completed-" + work_item_id);
  event.mutable_completed()->set_work_item_id(work_item_id);
  return event;
}
inline v1::AgentEvent makeAccepted(const std::string& agent, const std::string& work_item_id) {
  v1::AgentEvent event = agentEvent(agent, "accepted-" + work_item_id);
  event.mutable_accepted()->set_work_item_id(work_item_id);
  return event;
}
inline v1::AgentEvent makeRejected(const std::string& agent, const std::string& work_item_id) {
  v1::AgentEvent event = agentEvent(agent, "rejected-" + work_item_id);
  event.mutable_rejected()->set_work_item_id(work_item_id);
  return event;
}
inline v1::AgentEvent makeTransfer(const std::string& agent, const std::string& work_item_id,
                                   const std::string& to_agent, const std::string& to_queue) {
  v1::AgentEvent event = agentEvent(agent, "transfer-" + work_item_id);
  event.mutable_transfer()->set_work_item_id(work_item_id);
  event.mutable_transfer()->set_to_agent_id(to_agent);
  event.mutable_transfer()->set_to_queue_id(to_queue);
  return event;
}

inline std::string statusWord(v1::AssignmentStatus status) {
  switch (status) {
    case v1::ASSIGNMENT_STATUS_OFFERED: return "offered";
    case v1::ASSIGNMENT_STATUS_ASSIGNED: return "assigned";
    case v1::ASSIGNMENT_STATUS_REQUEUED: return "requeued";
    case v1::ASSIGNMENT_STATUS_COMPLETED: return "completed";
    case v1::ASSIGNMENT_STATUS_APPENDED: return "appended";
    default: return "?";
  }
}

// "work -> agent" for each offer/assignment decision, in order: compact expectations.
inline std::vector<std::string> pairs(const Outcome& out) {
  std::vector<std::string> result;
  for (const Decision& d : out.decisions) {
    if (d.status == v1::ASSIGNMENT_STATUS_OFFERED || d.status == v1::ASSIGNMENT_STATUS_ASSIGNED) {
      result.push_back(std::string(d.work_item_id) + " -> " + std::string(d.agent_id));
    }
  }
  return result;
}

// "work status agent" of every decision, in order.
inline std::vector<std::string> decisions(const Outcome& out) {
  std::vector<std::string> result;
  for (const Decision& d : out.decisions) {
    result.push_back(std::string(d.work_item_id) + " " + statusWord(d.status) + " " +
                     std::string(d.agent_id));
  }
  return result;
}

// What a stage would have persisted, applied from outcomes only.
class Store {
 public:
  void apply(const DispatchEngine& engine, const Outcome& out) {
    for (std::string_view id : out.changed_agents) {
      v1::AgentState state;
      ASSERT_TRUE(engine.agentState(id, state)) << id;
      agents_[std::string(id)] = state.SerializeAsString();
    }
    for (std::string_view id : out.changed_work) {
      v1::WorkState state;
      if (engine.workState(id, state)) work_[std::string(id)] = state.SerializeAsString();
    }
    for (std::string_view id : out.removed_work) EXPECT_EQ(work_.erase(std::string(id)), 1u) << id;
    for (const FinishedNote& note : out.finished) {
      v1::FinishedWork finished;
      engine.finishedWork(note, finished);
      done_[std::string(note.work_item_id)] = finished.SerializeAsString();
    }
    for (const std::string& id : out.forgottenIds()) EXPECT_EQ(done_.erase(id), 1u) << id;
  }

  std::unique_ptr<DispatchEngine> restore(DispatchEngine::PolicyPtr policy,
                                          DispatchEngine::Options options, TimePoint now,
                                          Outcome& out) const {
    auto engine = std::make_unique<DispatchEngine>(kDomain, std::move(policy), options);
    for (const auto& [id, bytes] : agents_) {
      v1::AgentState state;
      EXPECT_TRUE(state.ParseFromString(bytes));
      EXPECT_TRUE(engine->restoreAgent(state)) << id;
    }
    for (const auto& [id, bytes] : work_) {
      v1::WorkState state;
      EXPECT_TRUE(state.ParseFromString(bytes));
      EXPECT_TRUE(engine->restoreWork(state)) << id;
    }
    for (const auto& [id, bytes] : done_) {
      v1::FinishedWork finished;
      EXPECT_TRUE(finished.ParseFromString(bytes));
      EXPECT_TRUE(engine->restoreFinished(finished)) << id;
    }
    engine->restored(now, out);
    return engine;
  }

  size_t work() const { return work_.size(); }
  size_t finished() const { return done_.size(); }

 private:
  std::map<std::string, std::string> agents_, work_, done_;
};

}  // namespace switchboard::dispatch::testing
