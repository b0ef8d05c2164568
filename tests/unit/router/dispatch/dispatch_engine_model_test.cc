// Differential tests: the indexed DispatchEngine against a brute-force model of the same rules
// (rescan every agent for every queued item, in queue order, after each event), on seeded random
// event sequences over the test policy (three pools with the three strategies, pool and stated
// capacities, overflow in two steps, an SLA-risk boost, sticky customers); and persistence: an
// engine restored from exactly what the outcomes reported keeps deciding like the original.
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <tuple>
#include <variant>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "router/dispatch/dispatch_engine.h"
#include "router/policy/routing.h"
#include "tests/unit/router/dispatch/dispatch_test_util.h"

namespace switchboard::dispatch {
namespace {

using namespace switchboard::dispatch::testing;  // NOLINT(build/namespaces): test builders

// The rules of dispatch_engine.h, written as plainly as possible (reservation_timeout 0).
class ReferenceModel {
 public:
  struct Decision {
    std::string work_item_id;
    std::string agent_id;
    std::string pool;
    std::string strategy;
    uint32_t candidate_count;
    auto operator<=>(const Decision&) const = default;
    friend void PrintTo(const Decision& d, std::ostream* os) {
      *os << d.work_item_id << " -> " << d.agent_id << " (" << d.pool << ", " << d.strategy << ", "
          << d.candidate_count << ")";
    }
  };

  explicit ReferenceModel(const policy::Policy& policy) : policy_(policy) {}

  std::vector<Decision> onWorkItem(const v1::WorkItem& w, TimePoint now) {
    std::vector<Decision> decisions = match(now);
    if (seen_.count(w.work_item_id()) == 0) {
      seen_.insert(w.work_item_id());
      const policy::Queue* queue = policy_.findQueue(w.queue_id());
      queue_.push_back(
          Item{w.work_item_id(), w.channel(), queue, w.priority(), toUnixNanos(w.enqueued_at()),
               toUnixNanos(w.sla_deadline()),
               std::set<std::string>(w.required_skills().begin(), w.required_skills().end()),
               w.context().last_agent_id(), toUnixNanos(w.context().last_served_at())});
    }
    append(decisions, match(now));
    return decisions;
  }

  std::vector<Decision> onAgentEvent(const v1::AgentEvent& e, TimePoint now) {
    std::vector<Decision> decisions = match(now);
    if (e.has_presence()) {
      const v1::PresenceChanged& p = e.presence();
      if (p.presence() != v1::PRESENCE_UNSPECIFIED) {
        Agent& agent = agents_[e.agent_id()];
        agent.id = e.agent_id();
        if (!p.capacities().empty()) {
          agent.stated.clear();
          agent.stated_any = true;
          for (const auto& c : p.capacities()) agent.stated[c.channel()] = c.max_concurrent();
        }
        if (!p.skills().empty()) agent.skills = {p.skills().begin(), p.skills().end()};
        const bool was_available = agent.presence == v1::PRESENCE_AVAILABLE;
        agent.presence = p.presence();
        if (agent.presence == v1::PRESENCE_AVAILABLE && !was_available && agent.active.empty()) {
          agent.idle_since = toUnixNanos(now);
        }
      }
    } else if (e.has_completed()) {
      auto it = agents_.find(e.agent_id());
      if (it != agents_.end()) {
        Agent& agent = it->second;
        auto held = std::find_if(agent.active.begin(), agent.active.end(), [&](const auto& a) {
          return a.first == e.completed().work_item_id();
        });
        if (held != agent.active.end()) {
          agent.active.erase(held);
          if (agent.active.empty()) agent.idle_since = toUnixNanos(now);
        }
      }
    }
    append(decisions, match(now));
    return decisions;
  }

  std::vector<std::pair<std::string, std::string>> inHand() const {
    std::vector<std::pair<std::string, std::string>> result;
    for (const auto& [id, agent] : agents_) {
      for (const auto& [work_item_id, channel] : agent.active) {
        result.emplace_back(id, work_item_id);
      }
    }
    return result;
  }
  size_t queueDepth() const { return queue_.size(); }

 private:
  struct Item {
    std::string id;
    int channel;
    const policy::Queue* queue;
    int32_t priority;
    int64_t enqueued_at;
    int64_t deadline;
    std::set<std::string> skills;
    std::string last_agent;
    int64_t last_served;
  };
  struct Agent {
    std::string id;
    v1::Presence presence = v1::PRESENCE_UNSPECIFIED;
    std::map<int, uint32_t> stated;
    bool stated_any = false;
    std::set<std::string> skills;
    std::vector<std::pair<std::string, int>> active;  // work item id, channel
    int64_t idle_since = 0;
    int64_t last_assigned_at = 0;
  };

  static void append(std::vector<Decision>& to, const std::vector<Decision>& more) {
    to.insert(to.end(), more.begin(), more.end());
  }

  bool member(const Agent& agent, size_t pool) const {
    return policy_.pools[pool].admits(agent.id, agent.skills);
  }

  // nullopt: one item of any channel.
  std::optional<uint32_t> capacity(const Agent& agent, int channel, bool& any_channel) const {
    bool known = agent.stated_any;
    std::optional<uint32_t> result;
    for (int c = 0; c < v1::Channel_ARRAYSIZE; ++c) {
      std::optional<uint32_t> value;
      for (size_t p = 0; p < policy_.pools.size(); ++p) {
        if (!member(agent, p)) continue;
        if (auto cap = policy_.pools[p].capacity.get(static_cast<v1::Channel>(c))) {
          value = *cap;
          break;
        }
      }
      if (value) known = true;
      if (!value && agent.stated_any) {
        auto it = agent.stated.find(c);
        value = it == agent.stated.end() ? 0 : it->second;
      }
      if (c == channel) result = value;
    }
    any_channel = !known;
    return result;
  }

  bool eligible(const Agent& agent, const Item& item, size_t pool) const {
    if (agent.presence != v1::PRESENCE_AVAILABLE || !member(agent, pool)) return false;
    if (!std::includes(agent.skills.begin(), agent.skills.end(), item.skills.begin(),
                       item.skills.end())) {
      return false;
    }
    bool any_channel = false;
    const std::optional<uint32_t> cap = capacity(agent, item.channel, any_channel);
    if (any_channel) return agent.active.empty();
    const auto used = std::count_if(agent.active.begin(), agent.active.end(),
                                    [&](const auto& a) { return a.second == item.channel; });
    return static_cast<uint32_t>(used) < cap.value_or(0);
  }

  std::tuple<int64_t, int64_t, std::string> rank(const Agent& agent, size_t pool) const {
    const bool busy = !agent.active.empty();
    const int64_t since = busy ? agent.last_assigned_at : agent.idle_since;
    switch (policy_.pools[pool].strategy) {
      case policy::Strategy::kLongestIdle: return {busy ? 1 : 0, since, agent.id};
      case policy::Strategy::kLeastBusy:
        return {static_cast<int64_t>(agent.active.size()), since, agent.id};
      case policy::Strategy::kRoundRobin:
        return {agent.last_assigned_at != 0 ? 1 : 0, agent.last_assigned_at, agent.id};
    }
    return {};
  }

  size_t poolIndex(const std::string& name) const {
    return static_cast<size_t>(policy_.findPool(name) - policy_.pools.data());
  }

  std::vector<Decision> match(TimePoint now) {
    const int64_t now_ns = toUnixNanos(now);
    auto effective = [&](const Item& item) {
      const bool risk =
          item.queue->sla_risk && now >= fromNs(item.deadline) - item.queue->sla_risk->within;
      return int64_t{item.priority} + (risk ? item.queue->sla_risk->add : 0);
    };
    std::sort(queue_.begin(), queue_.end(), [&](const Item& a, const Item& b) {
      return std::make_tuple(-effective(a), a.enqueued_at, a.deadline, a.id) <
             std::make_tuple(-effective(b), b.enqueued_at, b.deadline, b.id);
    });
    std::vector<Decision> decisions;
    for (auto it = queue_.begin(); it != queue_.end();) {
      const Item& item = *it;
      const auto reach =
          policy::eligiblePools(*item.queue, std::chrono::nanoseconds(now_ns - item.enqueued_at));
      auto count = [&](size_t pool) {
        uint32_t n = 0;
        for (auto& [id, agent] : agents_) n += eligible(agent, item, pool) ? 1 : 0;
        return n;
      };
      Agent* chosen = nullptr;
      Decision decision;
      // Sticky.
      auto last = agents_.find(item.last_agent);
      const policy::Pool& own = *policy_.findPool(item.queue->pool);
      const auto grace = own.sticky_grace.value_or(policy_.defaults.sticky_grace);
      if (last != agents_.end() && item.last_served != 0 &&
          std::chrono::nanoseconds(now_ns - item.last_served) <= grace) {
        for (const std::string& name : reach) {
          if (eligible(last->second, item, poolIndex(name))) {
            chosen = &last->second;
            decision = {item.id, chosen->id, name, "sticky", count(poolIndex(name))};
            break;
          }
        }
      }
      for (size_t r = 0; chosen == nullptr && r < reach.size(); ++r) {
        const size_t pool = poolIndex(reach[r]);
        for (auto& [id, agent] : agents_) {
          if (!eligible(agent, item, pool)) continue;
          if (chosen == nullptr || rank(agent, pool) < rank(*chosen, pool)) chosen = &agent;
        }
        if (chosen != nullptr) {
          decision = {item.id, chosen->id, reach[r],
                      std::string(policy::strategyName(policy_.pools[pool].strategy)), count(pool)};
        }
      }
      if (chosen == nullptr) {
        ++it;
        continue;
      }
      chosen->active.emplace_back(item.id, item.channel);
      chosen->last_assigned_at = now_ns;
      decisions.push_back(decision);
      it = queue_.erase(it);
    }
    return decisions;
  }

  static TimePoint fromNs(int64_t ns) {
    return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
  }

  const policy::Policy& policy_;
  std::map<std::string, Agent> agents_;
  std::vector<Item> queue_;
  std::set<std::string> seen_;
};

using Input = std::variant<v1::WorkItem, v1::AgentEvent>;

// Seeded random inputs over a small world, so that agents, pools, skills, channels and ties
// collide.
class RandomInputs {
 public:
  explicit RandomInputs(uint32_t seed) : rng_(seed) {}

  Input next(const ReferenceModel& model) {
    now_ += pick(0, 4);
    const int roll = pick(0, 99);
    if (roll < 40) {
      const bool vip = pick(0, 5) == 0;
      Work w{.id = "w" + std::to_string(++items_),
             .channel = kChannels[pick(0, 2)],
             .enqueued = now_ - pick(0, 30)};
      w.queue = vip ? "vip" : (w.channel == v1::CHANNEL_CHAT ? "chat" : "catch-all");
      w.priority = vip ? 100 : (w.channel == v1::CHANNEL_CHAT ? 50 : 0);
      w.deadline = w.enqueued + pick(20, 200);
      if (pick(0, 3) == 0) w.skills.push_back(kSkills[pick(0, 2)]);
      if (pick(0, 2) == 0) {
        w.last_agent = kAgents[pick(0, kAgents.size() - 1)];
        w.last_served = now_ - pick(0, 5000);
      }
      return makeWork(w);
    }
    if (roll < 45 && items_ > 0) return makeWork({.id = "w" + std::to_string(pick(1, items_))});
    if (roll < 78) {
      const auto in_hand = model.inHand();
      if (!in_hand.empty()) {
        const auto& [agent, item] = in_hand[pick(0, static_cast<int>(in_hand.size()) - 1)];
        return makeCompleted(agent, item);
      }
    }
    Presence p{.agent = kAgents[pick(0, kAgents.size() - 1)],
               .presence = std::array{v1::PRESENCE_AVAILABLE, v1::PRESENCE_AVAILABLE,
                                      v1::PRESENCE_AVAILABLE, v1::PRESENCE_AWAY,
                                      v1::PRESENCE_OFFLINE}[pick(0, 4)],
               .skills = {}};
    if (pick(0, 2) != 0) {
      for (v1::Channel channel : kChannels) {
        if (pick(0, 1) == 0) p.capacities.emplace_back(channel, pick(0, 3));
      }
    }
    if (pick(0, 2) == 0) {
      for (const char* skill : kAgentSkills) {
        if (pick(0, 1) == 0) p.skills.emplace_back(skill);
      }
    }
    return makePresence(p);
  }

  TimePoint now() const { return at(now_); }

 private:
  static constexpr std::array<v1::Channel, 3> kChannels = {v1::CHANNEL_CHAT, v1::CHANNEL_EMAIL,
                                                           v1::CHANNEL_SMS};
  static constexpr std::array<const char*, 3> kSkills = {"ko", "billing", "en"};
  static constexpr std::array<const char*, 5> kAgentSkills = {"en", "tier2", "ko", "billing", "en"};
  static constexpr std::array<const char*, 8> kAgents = {"a0", "a1", "a2", "a3",
                                                         "a4", "a5", "p1", "p2"};

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  int pick(int lo, size_t hi) { return pick(lo, static_cast<int>(hi)); }

  std::mt19937 rng_;
  int now_ = 100;
  int items_ = 0;
};

void feed(DispatchEngine& engine, const Input& input, TimePoint now, Outcome& out) {
  if (const auto* item = std::get_if<v1::WorkItem>(&input)) {
    return engine.onWorkItem(*item, now, out);
  }
  engine.onAgentEvent(std::get<v1::AgentEvent>(input), now, out);
}

std::vector<ReferenceModel::Decision> feed(ReferenceModel& model, const Input& input,
                                           TimePoint now) {
  if (const auto* item = std::get_if<v1::WorkItem>(&input)) return model.onWorkItem(*item, now);
  return model.onAgentEvent(std::get<v1::AgentEvent>(input), now);
}

std::vector<ReferenceModel::Decision> modelDecisions(const Outcome& out) {
  std::vector<ReferenceModel::Decision> result;
  for (const Decision& d : out.decisions) {
    if (d.status != v1::ASSIGNMENT_STATUS_ASSIGNED) continue;
    result.push_back({std::string(d.work_item_id), std::string(d.agent_id), std::string(d.pool_id),
                      std::string(d.strategy), d.candidate_count});
  }
  return result;
}

class DispatchEngineModelTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(DispatchEngineModelTest, DecidesLikeTheBruteForceModel) {
  const DispatchEngine::PolicyPtr policy = testPolicy();
  DispatchEngine engine(kDomain, policy);
  ReferenceModel model(*policy);
  RandomInputs inputs(GetParam());
  Outcome out;
  size_t assignments = 0, duplicates = 0, sticky = 0, overflowed = 0;
  for (int i = 0; i < 3000; ++i) {
    const Input input = inputs.next(model);
    feed(engine, input, inputs.now(), out);
    const auto expected = feed(model, input, inputs.now());
    ASSERT_EQ(modelDecisions(out), expected) << "input #" << i;
    ASSERT_EQ(engine.queueDepth(), model.queueDepth()) << "input #" << i;
    assignments += out.decisions.size();
    duplicates += out.duplicate() ? 1 : 0;
    for (const Decision& d : out.decisions) {
      sticky += d.strategy == kStrategySticky ? 1 : 0;
      overflowed += d.overflowed ? 1 : 0;
    }
  }
  // The world was busy enough to exercise the rules.
  EXPECT_GT(assignments, 300u);
  EXPECT_GT(duplicates, 10u);
  EXPECT_GT(sticky, 5u);
  EXPECT_GT(overflowed, 5u);
}

TEST_P(DispatchEngineModelTest, EngineRestoredFromReportedChangesDecidesLikeTheOriginal) {
  const DispatchEngine::Options options{.finished_memory = 50};
  const DispatchEngine::PolicyPtr policy = testPolicy();
  DispatchEngine engine(kDomain, policy, options);
  ReferenceModel model(*policy);  // drives the generator's completions
  RandomInputs inputs(GetParam());
  Store store;
  Outcome out;
  for (int i = 0; i < 1500; ++i) {
    const Input input = inputs.next(model);
    feed(engine, input, inputs.now(), out);
    feed(model, input, inputs.now());
    store.apply(engine, out);
    ASSERT_EQ(store.work(), engine.queueDepth() + engine.inHandCount()) << "input #" << i;
    ASSERT_EQ(store.finished(), engine.finishedCount()) << "input #" << i;
  }

  Outcome restored_out;
  std::unique_ptr<DispatchEngine> restored =
      store.restore(policy, options, inputs.now(), restored_out);
  EXPECT_TRUE(restored_out.decisions.empty());
  EXPECT_EQ(restored->queueDepth(), engine.queueDepth());
  EXPECT_EQ(restored->inHandCount(), engine.inHandCount());
  EXPECT_EQ(restored->oldestEnqueuedAt(), engine.oldestEnqueuedAt());
  for (v1::Presence p : {v1::PRESENCE_AVAILABLE, v1::PRESENCE_AWAY, v1::PRESENCE_OFFLINE}) {
    EXPECT_EQ(restored->agentCount(p), engine.agentCount(p));
  }

  Outcome a, b;
  for (int i = 0; i < 1500; ++i) {
    const Input input = inputs.next(model);
    feed(engine, input, inputs.now(), a);
    feed(*restored, input, inputs.now(), b);
    feed(model, input, inputs.now());
    ASSERT_EQ(a.decisions.size(), b.decisions.size()) << "input #" << i;
    for (size_t k = 0; k < a.decisions.size(); ++k) {
      v1::Assignment x, y;
      engine.buildAssignment(a.decisions[k], x);
      restored->buildAssignment(b.decisions[k], y);
      ASSERT_EQ(x.SerializeAsString(), y.SerializeAsString()) << "input #" << i;
    }
    ASSERT_EQ(a.disposition, b.disposition) << "input #" << i;
    ASSERT_EQ(a.changed_agents, b.changed_agents) << "input #" << i;
    ASSERT_EQ(a.changed_work, b.changed_work) << "input #" << i;
    ASSERT_EQ(a.removed_work, b.removed_work) << "input #" << i;
  }
}

INSTANTIATE_TEST_SUITE_P(DispatchSeeds, DispatchEngineModelTest,
                         ::testing::Values(1u, 2u, 3u, 42u));

}  // namespace
}  // namespace switchboard::dispatch
