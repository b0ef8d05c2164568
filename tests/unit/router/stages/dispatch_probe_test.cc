// DispatchProbe's per-pool series, driven through a real DispatchStage and engine: depth and
// oldest wait per pool follow the overflow steps in force, agents and slots per member pool,
// time-to-assign and SLA outcomes by the assigning pool, and the mirror behind them across a
// restore, a policy reload and a close.
#include "router/stages/dispatch_probe.h"

#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/metrics/metrics_registry.h"
#include "router/stages/dispatch_stage.h"
#include "switchboard/v1/assignment.pb.h"
#include "tests/unit/router/dispatch/dispatch_test_util.h"
#include "tests/unit/router/fake_task_context.h"

namespace switchboard::router {
namespace {

using namespace switchboard::dispatch::testing;  // NOLINT(build/namespaces): test builders

// The value of one rendered series ("name{labels}"), or -1 when absent.
double metricValue(const std::string& rendered, const std::string& series) {
  std::istringstream lines(rendered);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

class DispatchProbeStageTest : public ::testing::Test {
 protected:
  void feedWork(const Work& w, int t) {
    feed(topics_.work_items, makeWork(w).SerializeAsString(), t);
  }
  void feedAgent(const v1::AgentEvent& event, int t) {
    feed(topics_.agent_events, event.SerializeAsString(), t);
  }
  void feed(const std::string& topic, const std::string& value, int t) {
    ctx_.clock = at(t);
    stage::InputRecord record;
    record.topic = topic;
    record.partition = ctx_.partition();
    record.offset = offset_++;
    record.key = kDomain;
    record.value = value;
    record.timestamp = at(t);
    stage_->process(record, ctx_);
  }
  void tick(int t) {
    ctx_.clock = at(t);
    stage_->tick(ctx_);
  }
  double metric(const std::string& series) const {
    return metricValue(registry_->render(), series);
  }
  static std::string pool(const std::string& name, const std::string& pool_name,
                          const std::string& extra = "") {
    return name + "{domain=\"default\",pool=\"" + pool_name + "\"" + extra + "}";
  }

  Topics topics_;
  std::unique_ptr<metrics::MetricsRegistry> registry_ =
      std::make_unique<metrics::MetricsRegistry>();
  std::shared_ptr<const policy::Policy> policy_ = testPolicy();
  DispatchStage::PolicySource source_ = [this] { return policy_; };
  std::unique_ptr<DispatchStage> stage_ =
      std::make_unique<DispatchStage>(topics_, *registry_, source_);
  router::testing::FakeTaskContext ctx_{2};
  int64_t offset_ = 0;
};

TEST_F(DispatchProbeStageTest, PoolDepthCountsItemsWhereTheirOverflowStepsReach) {
  // Queue chat: tier1, + tier2 after 90 s, + partners after 3 min. No agent: everything waits.
  stage_->open(ctx_);
  feedWork({.id = "w1", .enqueued = 0}, 0);
  feedWork({.id = "w2", .enqueued = 60}, 60);
  feedWork({.id = "e1", .channel = v1::CHANNEL_EMAIL, .queue = "catch-all", .enqueued = 70}, 70);

  tick(100);  // w1 waited 100 s: tier1 and tier2; w2 (40 s) and e1 (30 s): tier1 only
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier1")), 3);
  EXPECT_EQ(metric(pool("switchboard_router_pool_oldest_wait_seconds", "tier1")), 100);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier2")), 1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_oldest_wait_seconds", "tier2")), 100);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "partners")), 0);
  EXPECT_EQ(metric(pool("switchboard_router_pool_oldest_wait_seconds", "partners")), 0);

  tick(200);  // w1 (200 s) reaches partners, w2 (140 s) tier2
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier1")), 3);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier2")), 2);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "partners")), 1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_oldest_wait_seconds", "partners")), 200);
  // The queue series stay as they were: one per queue, not per pool.
  EXPECT_EQ(metric("switchboard_router_queue_depth{domain=\"default\",queue=\"chat\"}"), 2);
  EXPECT_EQ(metric("switchboard_router_queue_depth{domain=\"default\",queue=\"catch-all\"}"), 1);

  // A partner (chat only) takes w1, the only item that reaches partners.
  feedAgent(makePresence({.agent = "p1", .skills = {"fr"}}), 210);
  tick(211);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "partners")), 0);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier1")), 2);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier2")), 1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_oldest_wait_seconds", "tier1")), 151);
}

TEST_F(DispatchProbeStageTest, AgentsAndSlotsPerMemberPool) {
  stage_->open(ctx_);
  // alice: tier1 (chat 2 + email 3 = 5 slots). carol: tier1 and tier2, the first member pool's
  // capacities win (5). p1: partners only (chat 1). bob: tier1, away.
  feedAgent(makePresence({.agent = "alice"}), 0);
  feedAgent(
      makePresence(
          {.agent = "carol", .capacities = {{v1::CHANNEL_CHAT, 4}}, .skills = {"en", "tier2"}}),
      1);
  feedAgent(makePresence({.agent = "p1", .skills = {"fr"}}), 2);
  feedAgent(makePresence({.agent = "bob", .presence = v1::PRESENCE_AWAY}), 3);
  feedWork({.id = "w1", .enqueued = 5}, 5);  // to alice (longest idle in tier1)
  tick(10);

  const std::string presence = ",presence=\"";
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "tier1", presence + "available\"")), 2);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "tier1", presence + "away\"")), 1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "tier2", presence + "available\"")), 1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "partners", presence + "available\"")),
            1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "partners", presence + "offline\"")), 0);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agent_slots", "tier1", ",state=\"total\"")), 10);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agent_slots", "tier1", ",state=\"used\"")), 1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agent_slots", "tier2", ",state=\"total\"")), 5);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agent_slots", "tier2", ",state=\"used\"")), 0);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agent_slots", "partners", ",state=\"total\"")), 1);
  // The same slot arithmetic as the engine's: the domain total is alice + carol + p1.
  EXPECT_EQ(metric("switchboard_router_agent_slots{domain=\"default\",state=\"total\"}"), 11);

  feedAgent(makePresence({.agent = "alice", .presence = v1::PRESENCE_OFFLINE}), 20);
  tick(21);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "tier1", presence + "available\"")), 1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "tier1", presence + "offline\"")), 1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agent_slots", "tier1", ",state=\"total\"")), 5);
}

TEST_F(DispatchProbeStageTest, TimeToAssignAndSlaByTheAssigningPool) {
  stage_->open(ctx_);
  feedWork({.id = "w1", .enqueued = 0, .deadline = 120}, 0);
  feedWork({.id = "w2", .enqueued = 0, .deadline = 60}, 0);
  // At 100 s both reach tier2 and are at SLA risk (same priority and enqueue time): its only
  // agent takes w2, whose deadline is earlier.
  feedAgent(
      makePresence({.agent = "carol", .capacities = {{v1::CHANNEL_CHAT, 1}}, .skills = {"tier2"}}),
      100);
  feedAgent(makePresence({.agent = "alice"}), 130);  // tier1: takes the other one, late
  const std::string rendered = registry_->render();
  EXPECT_EQ(metricValue(rendered,
                        "switchboard_router_time_to_assign_seconds_count{channel="
                        "\"chat\",pool=\"tier2\"}"),
            1);
  EXPECT_EQ(metricValue(rendered,
                        "switchboard_router_time_to_assign_seconds_sum{channel="
                        "\"chat\",pool=\"tier2\"}"),
            100);
  EXPECT_EQ(metricValue(rendered,
                        "switchboard_router_time_to_assign_seconds_sum{channel="
                        "\"chat\",pool=\"tier1\"}"),
            130);
  // Both SLA outcomes exist per (channel, queue, pool); w2 (deadline 60) breached in tier2,
  // w1 (deadline 120) breached in tier1 at 130.
  EXPECT_EQ(metricValue(rendered,
                        "switchboard_router_sla_total{channel=\"chat\",outcome="
                        "\"breached\",pool=\"tier2\",queue=\"chat\"}"),
            1);
  EXPECT_EQ(metricValue(rendered,
                        "switchboard_router_sla_total{channel=\"chat\",outcome="
                        "\"attained\",pool=\"tier2\",queue=\"chat\"}"),
            0);
  EXPECT_EQ(metricValue(rendered,
                        "switchboard_router_sla_total{channel=\"chat\",outcome="
                        "\"breached\",pool=\"tier1\",queue=\"chat\"}"),
            1);
}

TEST_F(DispatchProbeStageTest, TransferToANamedAgentIsLabelledPoolNone) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "alice"}), 0);
  feedAgent(makePresence({.agent = "bob"}), 1);
  feedWork({.id = "w1", .enqueued = 2}, 2);
  ASSERT_FALSE(ctx_.outputs.empty());
  v1::Assignment first;
  ASSERT_TRUE(first.ParseFromString(ctx_.outputs.front().value));
  const std::string holder = first.agent_id();
  feedAgent(makeTransfer(holder, "w1", holder == "alice" ? "bob" : "alice", ""), 10);
  EXPECT_EQ(metric("switchboard_router_assignments_total{channel=\"chat\",pool=\"none\"}"), 1);
  EXPECT_EQ(metric("switchboard_router_assignments_total{channel=\"chat\",pool=\"tier1\"}"), 1);
  EXPECT_EQ(DispatchProbe::poolLabel(""), "none");
  EXPECT_EQ(DispatchProbe::poolLabel("tier1"), "tier1");
}

TEST_F(DispatchProbeStageTest, MirrorIsRebuiltOnOpenFollowsReloadsAndGoesOnClose) {
  stage_->open(ctx_);
  feedAgent(makePresence({.agent = "bob", .presence = v1::PRESENCE_AWAY}), 0);
  feedWork({.id = "w1", .enqueued = 0}, 0);
  feedWork({.id = "w2", .enqueued = 50}, 50);
  tick(100);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier2")), 1);

  // Another process opens the task from the persisted state: same gauges.
  stage_->close(ctx_.partition());
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier1")), -1);
  registry_ = std::make_unique<metrics::MetricsRegistry>();
  stage_ = std::make_unique<DispatchStage>(topics_, *registry_, source_);
  ctx_.clock = at(200);
  stage_->open(ctx_);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier1")), 2);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier2")), 2);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "partners")), 1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "tier1", ",presence=\"away\"")), 1);

  // A reload without the partners pool and with bob's pool selecting by another skill.
  policy_ = parse(R"(
pools:
  - {name: tier1, members: {skills: [fr]}}
  - {name: tier2, members: {skills: [en]}}
queues:
  - {name: chat, pool: tier1, overflow: [{after: 10m, widen_to: tier2}]}
)");
  tick(210);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "partners")), -1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "partners", ",presence=\"away\"")), -1);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier1")), 2);
  EXPECT_EQ(metric(pool("switchboard_router_pool_queue_depth", "tier2")), 0);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "tier1", ",presence=\"away\"")), 0);
  EXPECT_EQ(metric(pool("switchboard_router_pool_agents", "tier2", ",presence=\"away\"")), 1);

  stage_->close(ctx_.partition());
  EXPECT_EQ(registry_->render().find("switchboard_router_pool_queue_depth{"), std::string::npos);
  EXPECT_EQ(registry_->render().find("switchboard_router_pool_agents{"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::router
