#include "router/stages/dispatch_stage.h"

#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/metrics/metrics_registry.h"
#include "router/stages/dispatch_state_keys.h"
#include "switchboard/v1/assignment.pb.h"
#include "switchboard/v1/customer_event.pb.h"
#include "switchboard/v1/router_state.pb.h"
#include "tests/unit/router/dispatch/dispatch_test_util.h"
#include "tests/unit/router/fake_task_context.h"

namespace switchboard::router {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace switchboard::dispatch::testing;  // NOLINT(build/namespaces): test builders

// The shared fake task, its clock at the dispatch tests' time zero.
class FakeTaskContext : public router::testing::FakeTaskContext {
 public:
  explicit FakeTaskContext(int32_t partition) : router::testing::FakeTaskContext(partition) {
    clock = at(0);
  }
};

class DispatchStageTest : public ::testing::Test {
 protected:
  void feedWork(const Work& w, int t, const std::string& key = kDomain) {
    feedRaw(topics_.work_items, key, makeWork(w).SerializeAsString(), t);
  }
  void feedAgent(const v1::AgentEvent& event, int t, const std::string& key = kDomain) {
    feedRaw(topics_.agent_events, key, event.SerializeAsString(), t);
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
  void tick(int t) {
    ctx_.clock = at(t);
    stage_->tick(ctx_);
  }
  std::vector<const stage::Output*> on(const std::string& topic) const {
    std::vector<const stage::Output*> result;
    for (const stage::Output& o : ctx_.outputs) {
      if (o.topic == topic) result.push_back(&o);
    }
    return result;
  }
  v1::Assignment assignment(size_t i) const {
    v1::Assignment a;
    EXPECT_TRUE(a.ParseFromString(on(topics_.assignments).at(i)->value));
    return a;
  }
  v1::AgentState storedAgent(const std::string& agent_id) {
    v1::AgentState state;
    EXPECT_TRUE(state.ParseFromString(ctx_.state.at(agentStateKey(kDomain, agent_id))));
    return state;
  }

  Topics topics_;
  metrics::MetricsRegistry registry_;
  // The policy the stage reads; tests swap it to reload.
  DispatchStage::PolicySource source_ = [this] { return policy_; };
  std::shared_ptr<const policy::Policy> policy_ = testPolicy();
  std::unique_ptr<DispatchStage> stage_ =
      std::make_unique<DispatchStage>(topics_, registry_, source_);
  FakeTaskContext ctx_{3};
  int64_t offset_ = 0;
};

TEST_F(DispatchStageTest, SubscribesToWorkItemsAndAgentEvents) {
  EXPECT_THAT(stage_->inputTopics(), ElementsAre(topics_.work_items, topics_.agent_events));
}

TEST_F(DispatchStageTest, AssignsWorkEmitsAssignmentAndCustomerEventAndPersists) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice"}), 0);
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/default/alice"));
  EXPECT_EQ(storedAgent("alice").presence(), v1::PRESENCE_AVAILABLE);
  EXPECT_EQ(storedAgent("alice").domain(), "default");

  feedWork({.id = "w1", .enqueued = 3}, 5);
  ASSERT_EQ(ctx_.outputs.size(), 2u);
  const stage::Output& out = ctx_.outputs[0];
  EXPECT_EQ(out.topic, topics_.assignments);
  EXPECT_EQ(out.key, "default");
  EXPECT_EQ(out.event_id, "w1/1/assigned");
  EXPECT_EQ(out.event_type, "switchboard.v1.Assignment");
  const v1::Assignment a = assignment(0);
  EXPECT_EQ(a.assignment_id(), "w1/1/assigned");
  EXPECT_EQ(a.agent_id(), "alice");
  EXPECT_EQ(a.status(), v1::ASSIGNMENT_STATUS_ASSIGNED);
  EXPECT_EQ(a.pool_id(), "tier1");
  EXPECT_EQ(a.reason().strategy(), "longest-idle");
  EXPECT_EQ(a.reason().waited().seconds(), 2);
  // The work item rides along (appended as serialized bytes).
  EXPECT_EQ(a.work_item().work_item_id(), "w1");
  EXPECT_EQ(a.work_item().envelope().event_id(), "wi-event-w1");
  EXPECT_EQ(dispatch::toTimePoint(a.decided_at()), at(5));

  const stage::Output& served = ctx_.outputs[1];
  EXPECT_EQ(served.topic, topics_.customer_events);
  EXPECT_EQ(served.key, "cust-w1");
  EXPECT_EQ(served.event_type, "switchboard.v1.CustomerEvent");
  v1::CustomerEvent event;
  ASSERT_TRUE(event.ParseFromString(served.value));
  EXPECT_EQ(event.served().agent_id(), "alice");
  EXPECT_EQ(served.event_id, event.envelope().event_id());

  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/default/alice", "work/default/w1"));
  v1::WorkState work;
  ASSERT_TRUE(work.ParseFromString(ctx_.state.at("work/default/w1")));
  EXPECT_EQ(work.phase(), v1::WORK_PHASE_ASSIGNED);
  EXPECT_EQ(work.agent_id(), "alice");
  const v1::AgentState alice = storedAgent("alice");
  ASSERT_EQ(alice.active_work_items_size(), 1);
  EXPECT_EQ(alice.active_work_items(0).work_item_id(), "w1");
  EXPECT_THAT(ctx_.rejects, IsEmpty());
}

TEST_F(DispatchStageTest, WaitingWorkIsPersistedUntilCompleted) {
  stage_->open(ctx_);
  feedWork({.id = "w1", .enqueued = 0}, 0);
  EXPECT_THAT(ctx_.keys(), ElementsAre("work/default/w1"));
  tick(10);
  EXPECT_THAT(registry_.render(),
              HasSubstr("switchboard_router_queue_depth{domain=\"default\",queue=\"chat\"} 1"));
  EXPECT_THAT(registry_.render(), HasSubstr("switchboard_router_oldest_wait_seconds{domain="
                                            "\"default\",queue=\"chat\"} 10"));

  feedAgent(makePresence({.agent = "alice"}), 30);
  ASSERT_EQ(on(topics_.assignments).size(), 1u);
  feedAgent(makeCompleted("alice", "w1"), 40);
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/default/alice", "done/default/w1"));
  v1::FinishedWork finished;
  ASSERT_TRUE(finished.ParseFromString(ctx_.state.at("done/default/w1")));
  EXPECT_EQ(finished.domain(), "default");
  EXPECT_EQ(finished.sequence(), 1u);
  EXPECT_EQ(assignment(1).status(), v1::ASSIGNMENT_STATUS_COMPLETED);
  v1::CustomerEvent event;
  ASSERT_TRUE(event.ParseFromString(on(topics_.customer_events).back()->value));
  EXPECT_EQ(event.finished().work_item_id(), "w1");
  tick(41);
  EXPECT_THAT(registry_.render(),
              HasSubstr("switchboard_router_queue_depth{domain=\"default\",queue=\"chat\"} 0"));
}

TEST_F(DispatchStageTest, RejectsUndecodableRecords) {
  stage_->open(ctx_);
  // Field 1, length-delimited, announcing 255 bytes that never come.
  const std::string broken("\x0a\xff\x01", 3);
  feedRaw(topics_.work_items, kDomain, broken, 0);
  feedRaw(topics_.agent_events, kDomain, broken, 0);
  ASSERT_EQ(ctx_.rejects.size(), 2u);
  EXPECT_EQ(ctx_.rejects[0].first, "undecodable_record");
  EXPECT_EQ(ctx_.rejects[0].second, "value is not a switchboard.v1.WorkItem");
  EXPECT_EQ(ctx_.rejects[1].first, "undecodable_record");
  EXPECT_EQ(ctx_.rejects[1].second, "value is not a switchboard.v1.AgentEvent");
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  EXPECT_THAT(ctx_.state, IsEmpty());
  EXPECT_EQ(stage_->engine(ctx_.partition(), kDomain), nullptr);
}

TEST_F(DispatchStageTest, RejectsRecordsWithoutIdsOrKeyedByAnythingButTheDomain) {
  stage_->open(ctx_);
  feedWork({.id = ""}, 0);
  feedAgent(makePresence({.agent = ""}), 0);
  // Keyed by something else than the domain: it may sit in another domain's partition.
  feedWork({.id = "w1"}, 0, "w1");
  feedAgent(makePresence({.agent = "alice"}), 0, "alice");
  feedWork({.id = "w2", .domain = "brand-b"}, 0);
  feedRaw("switchboard.other.v1", kDomain, "", 0);

  std::vector<std::string> reasons;
  for (const auto& [reason, detail] : ctx_.rejects) reasons.push_back(reason);
  EXPECT_THAT(reasons, ElementsAre("invalid_record", "invalid_record", "invalid_record",
                                   "invalid_record", "invalid_record", "unexpected_topic"));
  EXPECT_EQ(ctx_.rejects[2].second, "record key 'w1' is not the work item's domain 'default'");
  EXPECT_EQ(ctx_.rejects[4].second, "record key 'default' is not the work item's domain 'brand-b'");
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  EXPECT_THAT(ctx_.state, IsEmpty());
}

TEST_F(DispatchStageTest, CountsIgnoredInputByReason) {
  stage_->open(ctx_);
  feedWork({.id = "w1"}, 0);
  feedWork({.id = "w1"}, 1);
  feedWork({.id = "w2", .conversation = "conv-w1"}, 1);
  feedAgent(makeCompleted("nobody", "w1"), 2);
  const std::string metrics = registry_.render();
  EXPECT_THAT(
      metrics,
      HasSubstr("switchboard_router_input_ignored_total{reason=\"duplicate_work_item\"} 1"));
  EXPECT_THAT(
      metrics,
      HasSubstr("switchboard_router_input_ignored_total{reason=\"joined_conversation\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("switchboard_router_input_ignored_total{reason=\"unknown_agent\"} 1"));
  EXPECT_THAT(ctx_.rejects, IsEmpty());
  EXPECT_THAT(ctx_.keys(), ElementsAre("done/default/w2", "work/default/w1"));
}

TEST_F(DispatchStageTest, ReportsDecisionsSlaReservationsAndAgentsInMetrics) {
  policy_ = testPolicy(std::chrono::seconds(30));
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice"}), 0);
  feedAgent(makePresence({.agent = "bob", .presence = v1::PRESENCE_AWAY}), 0);
  feedWork({.id = "w1", .enqueued = 0, .deadline = 60}, 90);  // offered to alice
  feedAgent(makeAccepted("alice", "w1"), 95);                 // late: breached
  feedWork({.id = "w2", .enqueued = 100, .deadline = 400}, 100);
  feedAgent(makeRejected("alice", "w2"), 101);
  tick(130);
  const std::string metrics = registry_.render();
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_offers_total{channel=\"chat\","
                                 "pool=\"tier1\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_assignments_total{channel=\"chat\","
                                 "pool=\"tier1\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_time_to_offer_seconds_sum{channel="
                                 "\"chat\",pool=\"tier1\"} 90"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_time_to_assign_seconds_sum{channel="
                                 "\"chat\",pool=\"tier1\"} 95"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_sla_total{channel=\"chat\",outcome="
                                 "\"breached\",pool=\"tier1\",queue=\"chat\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_reservations_total{outcome=\"accepted\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_reservations_total{outcome=\"rejected\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_queue_depth{domain=\"default\","
                                 "queue=\"chat\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_oldest_wait_seconds{domain=\"default\","
                                 "queue=\"chat\"} 30"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_agents{domain=\"default\","
                                 "presence=\"available\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("switchboard_router_agents{domain=\"default\",presence=\"away\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_agent_slots{domain=\"default\","
                                 "state=\"used\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("switchboard_router_agent_slots{domain=\"default\","
                                 "state=\"total\"} 5"));
}

TEST_F(DispatchStageTest, TickFiresLapsedOffersAndOverflow) {
  policy_ = testPolicy(std::chrono::seconds(30));
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice"}), 0);
  feedWork({.id = "w1", .enqueued = 0}, 1);
  feedAgent(makePresence({.agent = "x", .skills = {"tier2"}}), 2);
  ctx_.outputs.clear();
  tick(31);
  ASSERT_EQ(on(topics_.assignments).size(), 1u);
  EXPECT_EQ(assignment(0).status(), v1::ASSIGNMENT_STATUS_REQUEUED);
  EXPECT_EQ(assignment(0).reason().cause(), "offer_timeout");
  EXPECT_EQ(storedAgent("alice").presence(), v1::PRESENCE_AWAY);
  ctx_.outputs.clear();
  tick(90);  // tier2 joins after 90 s
  ASSERT_EQ(on(topics_.assignments).size(), 1u);
  EXPECT_EQ(assignment(0).agent_id(), "x");
  EXPECT_TRUE(assignment(0).reason().overflowed());
  EXPECT_EQ(assignment(0).assignment_id(), "w1/2/offered");
  EXPECT_THAT(registry_.render(),
              HasSubstr("switchboard_router_overflow_widenings_total{queue=\"chat\"} 1"));
}

TEST_F(DispatchStageTest, NewPolicyIsHandedToTheEnginesOnTheNextRecordOrTick) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "zed", .skills = {"de"}}), 0);
  feedWork({.id = "w1"}, 1);
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  auto next = parse(kPolicyYaml);
  next->defaults.reservation_timeout = std::chrono::seconds(0);
  next->pools[0].skills = {"de"};
  policy_ = next;
  tick(2);
  ASSERT_EQ(on(topics_.assignments).size(), 1u);
  EXPECT_EQ(assignment(0).agent_id(), "zed");
  EXPECT_EQ(stage_->engine(ctx_.partition(), kDomain)->policy(), policy_);
}

TEST_F(DispatchStageTest, KeepsOneEnginePerDomainAndPartition) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice", .domain = "brand-b"}), 0, "brand-b");
  feedWork({.id = "w1"}, 1);  // default: nobody there
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  ASSERT_NE(stage_->engine(3, "brand-b"), nullptr);
  ASSERT_NE(stage_->engine(3, kDomain), nullptr);
  EXPECT_EQ(stage_->engine(3, kDomain)->queueDepth(), 1u);
  EXPECT_EQ(stage_->engine(4, kDomain), nullptr);
  EXPECT_THAT(ctx_.keys(), ElementsAre("agent/brand-b/alice", "work/default/w1"));
}

TEST_F(DispatchStageTest, ReopenedTaskContinuesFromItsStoredState) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice", .capacities = {{v1::CHANNEL_SMS, 1}}}), 0);
  feedAgent(makePresence({.agent = "bob", .capacities = {{v1::CHANNEL_SMS, 1}}}), 1);
  auto sms = [](const std::string& id, int enqueued) {
    return Work{.id = id,
                .channel = v1::CHANNEL_SMS,
                .queue = "catch-all",
                .priority = 0,
                .enqueued = enqueued,
                .deadline = 3600};
  };
  feedWork(sms("w1", 2), 2);                 // alice
  feedWork(sms("w2", 3), 3);                 // bob
  feedWork(sms("w3", 4), 4);                 // waits
  feedAgent(makeCompleted("bob", "w2"), 5);  // bob takes w3
  feedWork(sms("w4", 6), 6);                 // waits
  EXPECT_EQ(on(topics_.assignments).size(), 4u);
  EXPECT_THAT(ctx_.keys(),
              ElementsAre("agent/default/alice", "agent/default/bob", "done/default/w2",
                          "work/default/w1", "work/default/w3", "work/default/w4"));
  stage_->close(ctx_.partition());
  EXPECT_EQ(stage_->engine(ctx_.partition(), kDomain), nullptr);
  EXPECT_THAT(registry_.render(), Not(HasSubstr("switchboard_router_queue_depth{domain=")));

  // Another process (a fresh stage) takes the partition over from the stored state.
  metrics::MetricsRegistry other_registry;
  DispatchStage other(topics_, other_registry, source_);
  ctx_.outputs.clear();
  ctx_.clock = at(7);
  other.open(ctx_);
  EXPECT_THAT(ctx_.outputs, IsEmpty());  // nothing new to match
  const dispatch::DispatchEngine* engine = other.engine(ctx_.partition(), kDomain);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->queueDepth(), 1u);
  EXPECT_EQ(engine->inHandCount(), 2u);
  EXPECT_EQ(engine->agentCount(v1::PRESENCE_AVAILABLE), 2u);
  EXPECT_TRUE(engine->remembersFinished("w2"));
  EXPECT_THAT(other_registry.render(), HasSubstr("switchboard_router_queue_depth{domain="
                                                 "\"default\",queue=\"catch-all\"} 1"));

  stage::InputRecord record;
  auto feed = [&](const std::string& topic, const std::string& value, int t) {
    ctx_.clock = at(t);
    record.topic = topic;
    record.key = kDomain;
    record.value = value;
    other.process(record, ctx_);
  };
  // A replayed copy of the finished w2 is still a duplicate.
  feed(topics_.work_items, makeWork(sms("w2", 3)).SerializeAsString(), 8);
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  // alice finishes w1 and takes w4.
  feed(topics_.agent_events, makeCompleted("alice", "w1").SerializeAsString(), 9);
  ASSERT_EQ(on(topics_.assignments).size(), 2u);
  EXPECT_EQ(on(topics_.assignments)[1]->event_id, "w4/1/assigned");
  const v1::Assignment a = assignment(1);
  EXPECT_EQ(a.agent_id(), "alice");
  EXPECT_EQ(a.reason().waited().seconds(), 3);
  EXPECT_THAT(ctx_.keys(),
              ElementsAre("agent/default/alice", "agent/default/bob", "done/default/w1",
                          "done/default/w2", "work/default/w3", "work/default/w4"));
  EXPECT_THAT(ctx_.rejects, IsEmpty());
}

TEST_F(DispatchStageTest, OpenSkipsCorruptRecords) {
  ctx_.state["agent/default/alice"] = std::string("\x0a\xff\x01", 3);
  v1::AgentState misplaced;
  misplaced.set_agent_id("bob");
  misplaced.set_domain("brand-b");  // stored under the wrong key
  ctx_.state["agent/default/bob"] = misplaced.SerializeAsString();
  v1::WorkState work;
  *work.mutable_item() = makeWork({.id = "w1"});
  work.set_phase(v1::WORK_PHASE_QUEUED);
  ctx_.state["work/default/w1"] = work.SerializeAsString();
  stage_->open(ctx_);
  const dispatch::DispatchEngine* engine = stage_->engine(ctx_.partition(), kDomain);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->agentCount(), 0u);
  EXPECT_EQ(engine->queueDepth(), 1u);
  EXPECT_EQ(stage_->engine(ctx_.partition(), "brand-b"), nullptr);
}

TEST(DispatchStateKeysTest, EscapesTheDomainSegment) {
  EXPECT_EQ(agentStateKey("default", "alice"), "agent/default/alice");
  EXPECT_EQ(workStateKey("tier/1", "w/1"), "work/tier%2F1/w/1");
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
