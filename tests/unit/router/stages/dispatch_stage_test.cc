#include "router/stages/dispatch_stage.h"

#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/metrics/metrics_registry.h"
#include "router/stages/dispatch_state_keys.h"
#include "switchboard/v1/assignment.pb.h"
#include "switchboard/v1/router_state.pb.h"
#include "tests/unit/router/dispatch/dispatch_test_util.h"

namespace switchboard::router {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace switchboard::dispatch::testing;  // NOLINT(build/namespaces): test builders

// An in-memory task: state is a sorted map (writes visible at once, as the runner's
// read-your-writes view), outputs and rejects are recorded.
class FakeTaskContext : public stage::TaskContext {
 public:
  explicit FakeTaskContext(int32_t partition) : partition_(partition) {}

  int32_t partition() const override { return partition_; }
  std::optional<std::string> get(std::string_view key) override {
    auto it = state.find(key);
    if (it == state.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override {
    state.insert_or_assign(std::string(key), std::string(value));
  }
  void erase(std::string_view key) override {
    if (auto it = state.find(key); it != state.end()) state.erase(it);
  }
  void scan(std::string_view prefix,
            const std::function<void(std::string_view, std::string_view)>& visit) override {
    for (auto it = state.lower_bound(prefix); it != state.end() && it->first.starts_with(prefix);
         ++it) {
      visit(it->first, it->second);
    }
  }
  void emit(stage::Output output) override { outputs.push_back(std::move(output)); }
  void reject(std::string_view reason, std::string_view detail) override {
    rejects.emplace_back(std::string(reason), std::string(detail));
  }
  std::chrono::system_clock::time_point now() const override { return clock; }

  std::vector<std::string> keys() const {
    std::vector<std::string> result;
    for (const auto& [key, value] : state) result.push_back(key);
    return result;
  }

  std::map<std::string, std::string, std::less<>> state;
  std::vector<stage::Output> outputs;
  std::vector<std::pair<std::string, std::string>> rejects;
  dispatch::TimePoint clock = at(0);

 private:
  int32_t partition_;
};

class DispatchStageTest : public ::testing::Test {
 protected:
  void feedWork(const Work& w, int t) {
    feedRaw(topics_.work_items, w.pool, makeWork(w).SerializeAsString(), t);
  }
  void feedAgent(const v1::AgentEvent& event, int t) {
    feedRaw(topics_.agent_events, event.pool_id(), event.SerializeAsString(), t);
  }
  void feedRaw(const std::string& topic, const std::string& key, const std::string& value, int t) {
    ctx_.clock = at(t);
    stage::InputRecord record;
    record.topic = topic;
    record.partition = ctx_.partition();
    record.offset = offset_++;
    record.key = key;
    record.value = value;
    record.timestamp = at(t);
    stage_->process(record, ctx_);
  }
  v1::Assignment output(size_t i) {
    v1::Assignment assignment;
    EXPECT_TRUE(assignment.ParseFromString(ctx_.outputs.at(i).value));
    return assignment;
  }
  v1::AgentState storedAgent(const std::string& agent_id) {
    v1::AgentState state;
    EXPECT_TRUE(state.ParseFromString(ctx_.state.at(agentStateKey(kPool, agent_id))));
    return state;
  }

  Topics topics_;
  metrics::MetricsRegistry registry_;
  std::unique_ptr<DispatchStage> stage_ = std::make_unique<DispatchStage>(topics_, registry_);
  FakeTaskContext ctx_{3};
  int64_t offset_ = 0;
};

TEST_F(DispatchStageTest, SubscribesToWorkItemsAndAgentEvents) {
  EXPECT_THAT(stage_->inputTopics(), ElementsAre(topics_.work_items, topics_.agent_events));
}

TEST_F(DispatchStageTest, AssignsWorkEmitsTheAssignmentAndPersistsTheAgent) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice", .capacities = {{v1::CHANNEL_CHAT, 2}}}), 0);
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/support/alice"));
  EXPECT_EQ(storedAgent("alice").presence(), v1::PRESENCE_AVAILABLE);

  feedWork({.id = "w1", .enqueued = 3}, 5);
  ASSERT_EQ(ctx_.outputs.size(), 1u);
  const stage::Output& out = ctx_.outputs[0];
  EXPECT_EQ(out.topic, topics_.assignments);
  EXPECT_EQ(out.key, kPool);
  EXPECT_EQ(out.event_id, "asg-w1-1");
  EXPECT_EQ(out.event_type, "switchboard.v1.Assignment");
  const v1::Assignment assignment = output(0);
  EXPECT_EQ(assignment.assignment_id(), "asg-w1-1");
  EXPECT_EQ(assignment.agent_id(), "alice");
  EXPECT_EQ(assignment.work_item_id(), "w1");
  EXPECT_EQ(assignment.status(), v1::ASSIGNMENT_STATUS_ASSIGNED);
  EXPECT_EQ(assignment.reason().waited().seconds(), 2);
  EXPECT_EQ(dispatch::toTimePoint(assignment.decided_at()), at(5));

  // Queued and assigned in one step: no queue record; the agent record holds the work.
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/support/alice"));
  const v1::AgentState alice = storedAgent("alice");
  ASSERT_EQ(alice.active_work_items_size(), 1);
  EXPECT_EQ(alice.active_work_items(0).work_item_id(), "w1");
  EXPECT_THAT(ctx_.rejects, IsEmpty());
}

TEST_F(DispatchStageTest, WaitingWorkIsPersistedUntilAssigned) {
  stage_->open(ctx_);
  feedWork({.id = "w1", .enqueued = 0}, 0);
  EXPECT_THAT(ctx_.keys(), ElementsAre("queue/support/w1"));
  v1::WorkItem stored;
  ASSERT_TRUE(stored.ParseFromString(ctx_.state.at("queue/support/w1")));
  EXPECT_EQ(stored.work_item_id(), "w1");
  EXPECT_THAT(registry_.render(), HasSubstr("switchboard_router_queue_depth{pool=\"support\"} 1"));
  EXPECT_THAT(registry_.render(),
              HasSubstr("switchboard_router_oldest_wait_seconds{pool=\"support\"} 0"));

  feedAgent(makePresence({.agent = "alice"}), 30);
  ASSERT_EQ(ctx_.outputs.size(), 1u);
  EXPECT_EQ(output(0).agent_id(), "alice");
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/support/alice"));

  feedAgent(makeCompleted("alice", "w1"), 40);
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/support/alice", "done/support/w1"));
  v1::FinishedWork finished;
  ASSERT_TRUE(finished.ParseFromString(ctx_.state.at("done/support/w1")));
  EXPECT_EQ(finished.pool_id(), kPool);
  EXPECT_EQ(finished.sequence(), 1u);
  EXPECT_EQ(storedAgent("alice").active_work_items_size(), 0);
}

TEST_F(DispatchStageTest, RejectsUndecodableRecords) {
  stage_->open(ctx_);
  // Field 1, length-delimited, announcing 255 bytes that never come.
  const std::string broken("\x0a\xff\x01", 3);
  feedRaw(topics_.work_items, kPool, broken, 0);
  feedRaw(topics_.agent_events, kPool, broken, 0);
  ASSERT_EQ(ctx_.rejects.size(), 2u);
  EXPECT_EQ(ctx_.rejects[0].first, "undecodable_record");
  EXPECT_EQ(ctx_.rejects[0].second, "value is not a switchboard.v1.WorkItem");
  EXPECT_EQ(ctx_.rejects[1].first, "undecodable_record");
  EXPECT_EQ(ctx_.rejects[1].second, "value is not a switchboard.v1.AgentEvent");
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  EXPECT_THAT(ctx_.state, IsEmpty());
  EXPECT_EQ(stage_->engine(ctx_.partition(), kPool), nullptr);
}

TEST_F(DispatchStageTest, RejectsInvalidRecords) {
  stage_->open(ctx_);
  feedRaw(topics_.work_items, kPool, makeWork({.id = ""}).SerializeAsString(), 0);
  feedRaw(topics_.work_items, "", makeWork({.id = "w1", .pool = ""}).SerializeAsString(), 0);
  feedRaw(topics_.agent_events, kPool, makePresence({.agent = ""}).SerializeAsString(), 0);
  feedRaw(topics_.agent_events, kPool, v1::AgentEvent().SerializeAsString(), 0);
  // Keyed by something else than the pool: it may sit in another pool's partition.
  feedRaw(topics_.work_items, "w1", makeWork({.id = "w1"}).SerializeAsString(), 0);
  feedRaw(topics_.agent_events, "alice", makePresence({.agent = "alice"}).SerializeAsString(), 0);
  feedRaw("switchboard.other.v1", kPool, "", 0);

  std::vector<std::string> reasons;
  for (const auto& [reason, detail] : ctx_.rejects) reasons.push_back(reason);
  EXPECT_THAT(reasons,
              ElementsAre("invalid_record", "invalid_record", "invalid_record", "invalid_record",
                          "invalid_record", "invalid_record", "unexpected_topic"));
  EXPECT_EQ(ctx_.rejects[4].second, "record key 'w1' is not the work item's pool_id 'support'");
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  EXPECT_THAT(ctx_.state, IsEmpty());
}

TEST_F(DispatchStageTest, CountsIgnoredInputByReason) {
  stage_->open(ctx_);
  feedWork({.id = "w1"}, 0);
  feedWork({.id = "w1"}, 1);
  feedAgent(makeCompleted("nobody", "w1"), 2);
  const std::string metrics = registry_.render();
  EXPECT_THAT(
      metrics,
      HasSubstr("switchboard_router_input_ignored_total{reason=\"duplicate_work_item\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("switchboard_router_input_ignored_total{reason=\"unknown_agent\"} 1"));
  EXPECT_THAT(ctx_.rejects, IsEmpty());
  EXPECT_THAT(ctx_.keys(), ElementsAre("queue/support/w1"));
}

TEST_F(DispatchStageTest, ReportsAssignmentsQueueAndAgentsInMetrics) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice"}), 0);
  feedAgent(makePresence({.agent = "bob", .presence = v1::PRESENCE_AWAY}), 0);
  feedWork({.id = "w1", .enqueued = 0}, 90);
  feedWork({.id = "w2", .enqueued = 60}, 100);
  const std::string metrics = registry_.render();
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_assignments_total{channel=\"chat\","
                                 "pool=\"support\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_time_to_assign_seconds_count{channel="
                                 "\"chat\",pool=\"support\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_time_to_assign_seconds_sum{channel="
                                 "\"chat\",pool=\"support\"} 90"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_time_to_assign_seconds_bucket{channel="
                                 "\"chat\",pool=\"support\",le=\"86400\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_queue_depth{pool=\"support\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_oldest_wait_seconds{pool=\"support\"} 40"));
  EXPECT_THAT(metrics,
              HasSubstr("switchboard_router_agents{pool=\"support\",presence=\"available\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("switchboard_router_agents{pool=\"support\",presence=\"away\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("switchboard_router_agents{pool=\"support\",presence=\"offline\"} 0"));
}

TEST_F(DispatchStageTest, TickRefreshesTheOldestWait) {
  stage_->open(ctx_);
  feedWork({.id = "w1", .enqueued = 0}, 10);
  EXPECT_THAT(registry_.render(),
              HasSubstr("switchboard_router_oldest_wait_seconds{pool=\"support\"} 10"));
  ctx_.clock = at(25);
  stage_->tick(ctx_);
  EXPECT_THAT(registry_.render(),
              HasSubstr("switchboard_router_oldest_wait_seconds{pool=\"support\"} 25"));
  EXPECT_THAT(ctx_.outputs, IsEmpty());
}

TEST_F(DispatchStageTest, KeepsOneEnginePerPoolAndPartition) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice", .pool = "sales"}), 0);
  feedWork({.id = "w1"}, 1);  // support: nobody there
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  feedWork({.id = "w2", .pool = "sales"}, 2);
  ASSERT_EQ(ctx_.outputs.size(), 1u);
  EXPECT_EQ(ctx_.outputs[0].key, "sales");
  EXPECT_EQ(output(0).pool_id(), "sales");
  ASSERT_NE(stage_->engine(3, "sales"), nullptr);
  ASSERT_NE(stage_->engine(3, kPool), nullptr);
  EXPECT_EQ(stage_->engine(3, kPool)->queueDepth(), 1u);
  EXPECT_EQ(stage_->engine(4, kPool), nullptr);
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/sales/alice", "queue/support/w1"));
}

TEST_F(DispatchStageTest, ReopenedTaskContinuesFromItsStoredState) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice", .capacities = {{v1::CHANNEL_CHAT, 1}}}), 0);
  feedAgent(makePresence({.agent = "bob", .capacities = {{v1::CHANNEL_CHAT, 1}}}), 1);
  feedWork({.id = "w1", .enqueued = 2}, 2);                 // alice
  feedWork({.id = "w2", .enqueued = 3}, 3);                 // bob
  feedWork({.id = "w3", .enqueued = 4}, 4);                 // waits
  feedAgent(makeCompleted("bob", "w2"), 5);                 // bob takes w3
  feedWork({.id = "w4", .priority = 1, .enqueued = 6}, 6);  // waits
  ASSERT_EQ(ctx_.outputs.size(), 3u);
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/support/alice", "agent/support/bob",
                                       "done/support/w2", "queue/support/w4"));
  stage_->close(ctx_.partition());
  EXPECT_EQ(stage_->engine(ctx_.partition(), kPool), nullptr);
  EXPECT_THAT(registry_.render(), Not(HasSubstr("switchboard_router_queue_depth{pool=")));

  // Another process (a fresh stage) takes the partition over from the stored state.
  metrics::MetricsRegistry other_registry;
  DispatchStage other(topics_, other_registry);
  ctx_.outputs.clear();
  ctx_.clock = at(7);
  other.open(ctx_);
  EXPECT_THAT(ctx_.outputs, IsEmpty());  // nothing new to match
  const dispatch::DispatchEngine* engine = other.engine(ctx_.partition(), kPool);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->queueDepth(), 1u);
  EXPECT_EQ(engine->agentCount(v1::PRESENCE_AVAILABLE), 2u);
  EXPECT_TRUE(engine->remembersFinished("w2"));
  EXPECT_THAT(other_registry.render(),
              HasSubstr("switchboard_router_queue_depth{pool=\"support\"} 1"));

  stage::InputRecord record;
  auto feed = [&](const std::string& topic, const std::string& value, int t) {
    ctx_.clock = at(t);
    record.topic = topic;
    record.key = kPool;
    record.value = value;
    other.process(record, ctx_);
  };
  // A replayed copy of the finished w2 is still a duplicate.
  feed(topics_.work_items, makeWork({.id = "w2"}).SerializeAsString(), 8);
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  // alice finishes w1 and takes w4.
  feed(topics_.agent_events, makeCompleted("alice", "w1").SerializeAsString(), 9);
  ASSERT_EQ(ctx_.outputs.size(), 1u);
  EXPECT_EQ(ctx_.outputs[0].event_id, "asg-w4-1");
  const v1::Assignment assignment = output(0);
  EXPECT_EQ(assignment.agent_id(), "alice");
  EXPECT_EQ(assignment.reason().waited().seconds(), 3);
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/support/alice", "agent/support/bob",
                                       "done/support/w1", "done/support/w2"));
  EXPECT_THAT(ctx_.rejects, IsEmpty());
}

TEST_F(DispatchStageTest, OpenSkipsCorruptRecords) {
  ctx_.state["agent/support/alice"] = std::string("\x0a\xff\x01", 3);
  v1::AgentState misplaced;
  misplaced.set_agent_id("bob");
  misplaced.set_pool_id("sales");  // stored under the wrong key
  ctx_.state["agent/support/bob"] = misplaced.SerializeAsString();
  ctx_.state["queue/support/w1"] = makeWork({.id = "w1"}).SerializeAsString();
  stage_->open(ctx_);
  const dispatch::DispatchEngine* engine = stage_->engine(ctx_.partition(), kPool);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->agentCount(), 0u);
  EXPECT_EQ(engine->queueDepth(), 1u);
  EXPECT_EQ(stage_->engine(ctx_.partition(), "sales"), nullptr);
}

TEST(DispatchStateKeysTest, EscapesThePoolSegment) {
  EXPECT_EQ(agentStateKey("support", "alice"), "agent/support/alice");
  EXPECT_EQ(queuedItemKey("tier/1", "w/1"), "queue/tier%2F1/w/1");
  EXPECT_EQ(finishedItemKey("50%", "w1"), "done/50%25/w1");
  EXPECT_NE(agentStateKey("a/b", "c"), agentStateKey("a", "b/c"));
}

TEST(DispatchProbeTest, LabelsChannelsByShortName) {
  EXPECT_EQ(DispatchProbe::channelLabel(v1::CHANNEL_CHAT), "chat");
  EXPECT_EQ(DispatchProbe::channelLabel(v1::CHANNEL_WHATSAPP), "whatsapp");
  EXPECT_EQ(DispatchProbe::channelLabel(v1::CHANNEL_UNSPECIFIED), "unspecified");
  EXPECT_EQ(DispatchProbe::channelLabel(static_cast<v1::Channel>(99)), "unknown");
}

}  // namespace
}  // namespace switchboard::router
