// Differential tests: the indexed DispatchEngine against a brute-force model of the same rules
// (rescan every agent for every queued item after each event), on seeded random event
// sequences; and persistence: an engine restored from exactly what the outcomes reported
// keeps deciding like the original.
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <tuple>
#include <variant>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "router/dispatch/dispatch_engine.h"
#include "tests/unit/router/dispatch/dispatch_test_util.h"

namespace switchboard::dispatch {
namespace {

using namespace switchboard::dispatch::testing;  // NOLINT(build/namespaces): test builders

// The rules of dispatch_engine.h, written as plainly as possible.
class ReferenceModel {
 public:
  struct Decision {
    std::string work_item_id;
    std::string agent_id;
    uint32_t candidate_count;
    auto operator<=>(const Decision&) const = default;
    friend void PrintTo(const Decision& d, std::ostream* os) {
      *os << d.work_item_id << " -> " << d.agent_id << " (" << d.candidate_count << ")";
    }
  };

  std::vector<Decision> onWorkItem(const v1::WorkItem& w, TimePoint now) {
    if (seen_.count(w.work_item_id()) != 0) return {};
    seen_.insert(w.work_item_id());
    queue_.push_back(Item{w.work_item_id(),
                          w.channel(),
                          w.priority(),
                          toUnixNanos(w.enqueued_at()),
                          {w.required_skills().begin(), w.required_skills().end()}});
    return match(now);
  }

  std::vector<Decision> onAgentEvent(const v1::AgentEvent& e, TimePoint now) {
    if (e.has_presence()) {
      const v1::PresenceChanged& p = e.presence();
      if (p.presence() == v1::PRESENCE_UNSPECIFIED) return {};
      Agent& agent = agents_[e.agent_id()];
      agent.id = e.agent_id();
      if (!p.capacities().empty()) {
        agent.capacities.clear();
        for (const auto& c : p.capacities()) agent.capacities[c.channel()] = c.max_concurrent();
      }
      if (!p.skills().empty()) agent.skills = {p.skills().begin(), p.skills().end()};
      const bool was_available = agent.presence == v1::PRESENCE_AVAILABLE;
      agent.presence = p.presence();
      if (agent.presence == v1::PRESENCE_AVAILABLE && !was_available && agent.active.empty()) {
        agent.idle_since = toUnixNanos(now);
      }
    } else if (e.has_completed()) {
      auto it = agents_.find(e.agent_id());
      if (it == agents_.end()) return {};
      Agent& agent = it->second;
      auto held = std::find_if(agent.active.begin(), agent.active.end(), [&](const auto& a) {
        return a.first == e.completed().work_item_id();
      });
      if (held == agent.active.end()) return {};
      agent.active.erase(held);
      if (agent.active.empty()) agent.idle_since = toUnixNanos(now);
    }
    return match(now);
  }

  // (agent, work item) pairs in hand, for generating completions.
  std::vector<std::pair<std::string, std::string>> inHand() const {
    std::vector<std::pair<std::string, std::string>> result;
    for (const auto& [id, agent] : agents_) {
      for (const auto& [work_item_id, channel] : agent.active)
        result.emplace_back(id, work_item_id);
    }
    return result;
  }
  size_t queueDepth() const { return queue_.size(); }

 private:
  struct Item {
    std::string id;
    int channel;
    int32_t priority;
    int64_t enqueued_at;
    std::set<std::string> skills;
  };
  struct Agent {
    std::string id;
    v1::Presence presence = v1::PRESENCE_UNSPECIFIED;
    std::map<int, uint32_t> capacities;
    std::set<std::string> skills;
    std::vector<std::pair<std::string, int>> active;  // work item id, channel
    int64_t idle_since = 0;
    int64_t last_assigned_at = 0;
  };

  static bool eligible(const Agent& agent, const Item& item) {
    if (agent.presence != v1::PRESENCE_AVAILABLE) return false;
    if (!std::includes(agent.skills.begin(), agent.skills.end(), item.skills.begin(),
                       item.skills.end())) {
      return false;
    }
    if (agent.capacities.empty()) return agent.active.empty();
    auto cap = agent.capacities.find(item.channel);
    if (cap == agent.capacities.end()) return false;
    const auto used = std::count_if(agent.active.begin(), agent.active.end(),
                                    [&](const auto& a) { return a.second == item.channel; });
    return static_cast<uint32_t>(used) < cap->second;
  }

  static auto rank(const Agent& agent) {
    const bool busy = !agent.active.empty();
    return std::make_tuple(busy, busy ? agent.last_assigned_at : agent.idle_since, agent.id);
  }

  std::vector<Decision> match(TimePoint now) {
    std::sort(queue_.begin(), queue_.end(), [](const Item& a, const Item& b) {
      return std::make_tuple(-int64_t{a.priority}, a.enqueued_at, a.id) <
             std::make_tuple(-int64_t{b.priority}, b.enqueued_at, b.id);
    });
    std::vector<Decision> decisions;
    for (auto it = queue_.begin(); it != queue_.end();) {
      Agent* best = nullptr;
      uint32_t count = 0;
      for (auto& [id, agent] : agents_) {
        if (!eligible(agent, *it)) continue;
        ++count;
        if (best == nullptr || rank(agent) < rank(*best)) best = &agent;
      }
      if (best == nullptr) {
        ++it;
        continue;
      }
      best->active.emplace_back(it->id, it->channel);
      best->last_assigned_at = toUnixNanos(now);
      decisions.push_back(Decision{it->id, best->id, count});
      it = queue_.erase(it);
    }
    return decisions;
  }

  std::map<std::string, Agent> agents_;
  std::vector<Item> queue_;
  std::set<std::string> seen_;
};

using Input = std::variant<v1::WorkItem, v1::AgentEvent>;

// Seeded random inputs over a small world, so that agents, skills, channels and ties collide.
class RandomInputs {
 public:
  explicit RandomInputs(uint32_t seed) : rng_(seed) {}

  Input next(const ReferenceModel& model) {
    now_ += pick(0, 3);
    const int roll = pick(0, 99);
    if (roll < 40) {
      Work w{.id = "w" + std::to_string(++items_),
             .channel = kChannels[pick(0, 2)],
             .priority = std::array{0, 0, 0, 5, 10}[pick(0, 4)],
             .enqueued = now_ - pick(0, 30)};
      if (pick(0, 3) == 0) w.skills.push_back(kSkills[pick(0, 2)]);
      if (pick(0, 9) == 0) w.skills.push_back(kSkills[pick(0, 2)]);
      return makeWork(w);
    }
    if (roll < 45 && items_ > 0) return makeWork({.id = "w" + std::to_string(pick(1, items_))});
    if (roll < 75) {
      const auto in_hand = model.inHand();
      if (!in_hand.empty()) {
        const auto& [agent, item] = in_hand[pick(0, static_cast<int>(in_hand.size()) - 1)];
        return makeCompleted(agent, item);
      }
    }
    Presence p{.agent = "agent-" + std::to_string(pick(0, 7)),
               .presence = std::array{v1::PRESENCE_AVAILABLE, v1::PRESENCE_AVAILABLE,
                                      v1::PRESENCE_AVAILABLE, v1::PRESENCE_AWAY,
                                      v1::PRESENCE_OFFLINE}[pick(0, 4)]};
    if (pick(0, 2) != 0) {
      for (v1::Channel channel : kChannels) {
        if (pick(0, 1) == 0) p.capacities.emplace_back(channel, pick(0, 3));
      }
    }
    if (pick(0, 2) == 0) {
      for (const char* skill : kSkills) {
        if (pick(0, 1) == 0) p.skills.emplace_back(skill);
      }
    }
    return makePresence(p);
  }

  TimePoint now() const { return at(now_); }

 private:
  static constexpr std::array<v1::Channel, 3> kChannels = {v1::CHANNEL_CHAT, v1::CHANNEL_EMAIL,
                                                           v1::CHANNEL_SMS};
  static constexpr std::array<const char*, 3> kSkills = {"ko", "billing", "vip"};

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::mt19937 rng_;
  int now_ = 100;
  int items_ = 0;
};

Outcome feed(DispatchEngine& engine, const Input& input, TimePoint now) {
  if (const auto* item = std::get_if<v1::WorkItem>(&input)) return engine.onWorkItem(*item, now);
  return engine.onAgentEvent(std::get<v1::AgentEvent>(input), now);
}

std::vector<ReferenceModel::Decision> feed(ReferenceModel& model, const Input& input,
                                           TimePoint now) {
  if (const auto* item = std::get_if<v1::WorkItem>(&input)) return model.onWorkItem(*item, now);
  return model.onAgentEvent(std::get<v1::AgentEvent>(input), now);
}

std::vector<ReferenceModel::Decision> decisions(const Outcome& out) {
  std::vector<ReferenceModel::Decision> result;
  for (const v1::Assignment& a : out.assignments) {
    result.push_back({a.work_item_id(), a.agent_id(), a.reason().candidate_count()});
  }
  return result;
}

// What a stage would have persisted, applied from outcomes only.
class Store {
 public:
  void apply(const DispatchEngine& engine, const Outcome& out) {
    for (const std::string& id : out.changed_agents) {
      agents_[id] = engine.agent(id)->SerializeAsString();
    }
    for (const std::string& id : out.queued)
      queue_[id] = engine.queuedItem(id)->SerializeAsString();
    for (const std::string& id : out.dequeued) EXPECT_EQ(queue_.erase(id), 1u) << id;
    for (const v1::FinishedWork& f : out.finished) done_[f.work_item_id()] = f.SerializeAsString();
    for (const std::string& id : out.forgotten) EXPECT_EQ(done_.erase(id), 1u) << id;
  }

  std::unique_ptr<DispatchEngine> restore(DispatchEngine::Options options) const {
    auto engine = std::make_unique<DispatchEngine>(kPool, options);
    for (const auto& [id, bytes] : agents_) {
      v1::AgentState state;
      EXPECT_TRUE(state.ParseFromString(bytes));
      EXPECT_TRUE(engine->restoreAgent(state)) << id;
    }
    for (const auto& [id, bytes] : queue_) {
      v1::WorkItem item;
      EXPECT_TRUE(item.ParseFromString(bytes));
      EXPECT_TRUE(engine->restoreQueued(item)) << id;
    }
    for (const auto& [id, bytes] : done_) {
      v1::FinishedWork finished;
      EXPECT_TRUE(finished.ParseFromString(bytes));
      EXPECT_TRUE(engine->restoreFinished(finished)) << id;
    }
    return engine;
  }

  size_t queued() const { return queue_.size(); }
  size_t finished() const { return done_.size(); }

 private:
  std::map<std::string, std::string> agents_, queue_, done_;
};

class DispatchEngineModelTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(DispatchEngineModelTest, DecidesLikeTheBruteForceModel) {
  DispatchEngine engine(kPool);
  ReferenceModel model;
  RandomInputs inputs(GetParam());
  size_t assignments = 0;
  size_t duplicates = 0;
  for (int i = 0; i < 3000; ++i) {
    const Input input = inputs.next(model);
    const Outcome out = feed(engine, input, inputs.now());
    const auto expected = feed(model, input, inputs.now());
    ASSERT_EQ(decisions(out), expected) << "input #" << i;
    ASSERT_EQ(engine.queueDepth(), model.queueDepth()) << "input #" << i;
    assignments += out.assignments.size();
    duplicates += out.duplicate() ? 1 : 0;
  }
  // The world was busy enough to exercise the rules.
  EXPECT_GT(assignments, 300u);
  EXPECT_GT(duplicates, 10u);
}

TEST_P(DispatchEngineModelTest, EngineRestoredFromReportedChangesDecidesLikeTheOriginal) {
  const DispatchEngine::Options options{.finished_memory = 50};
  DispatchEngine engine(kPool, options);
  ReferenceModel model;  // drives the generator's completions
  RandomInputs inputs(GetParam());
  Store store;
  for (int i = 0; i < 1500; ++i) {
    const Input input = inputs.next(model);
    const Outcome out = feed(engine, input, inputs.now());
    feed(model, input, inputs.now());
    store.apply(engine, out);
    ASSERT_EQ(store.queued(), engine.queueDepth()) << "input #" << i;
    ASSERT_EQ(store.finished(), engine.finishedCount()) << "input #" << i;
  }

  std::unique_ptr<DispatchEngine> restored = store.restore(options);
  Outcome rebalanced;
  restored->rebalance(inputs.now(), rebalanced);
  EXPECT_TRUE(rebalanced.assignments.empty());
  EXPECT_EQ(restored->queueDepth(), engine.queueDepth());
  EXPECT_EQ(restored->oldestEnqueuedAt(), engine.oldestEnqueuedAt());
  for (v1::Presence p : {v1::PRESENCE_AVAILABLE, v1::PRESENCE_AWAY, v1::PRESENCE_OFFLINE}) {
    EXPECT_EQ(restored->agentCount(p), engine.agentCount(p));
  }

  for (int i = 0; i < 1500; ++i) {
    const Input input = inputs.next(model);
    const Outcome a = feed(engine, input, inputs.now());
    const Outcome b = feed(*restored, input, inputs.now());
    feed(model, input, inputs.now());
    ASSERT_EQ(a.assignments.size(), b.assignments.size()) << "input #" << i;
    for (size_t k = 0; k < a.assignments.size(); ++k) {
      ASSERT_EQ(a.assignments[k].SerializeAsString(), b.assignments[k].SerializeAsString());
    }
    ASSERT_EQ(a.disposition, b.disposition) << "input #" << i;
    ASSERT_EQ(a.changed_agents, b.changed_agents) << "input #" << i;
    ASSERT_EQ(a.queued, b.queued) << "input #" << i;
    ASSERT_EQ(a.dequeued, b.dequeued) << "input #" << i;
    ASSERT_EQ(a.forgotten, b.forgotten) << "input #" << i;
  }
}

INSTANTIATE_TEST_SUITE_P(DispatchSeeds, DispatchEngineModelTest,
                         ::testing::Values(1u, 2u, 3u, 42u));

}  // namespace
}  // namespace switchboard::dispatch
