#include "router/dispatch/dispatch_engine.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/router/dispatch/dispatch_test_util.h"

namespace switchboard::dispatch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace switchboard::dispatch::testing;  // NOLINT(build/namespaces): test builders

class DispatchEngineTest : public ::testing::Test {
 protected:
  explicit DispatchEngineTest(DispatchEngine::PolicyPtr policy = testPolicy())
      : engine_(std::make_unique<DispatchEngine>(kDomain, std::move(policy))) {}

  Outcome& work(const Work& w, int t) {
    engine_->onWorkItem(makeWork(w), at(t), out_);
    store_.apply(*engine_, out_);
    return out_;
  }
  Outcome& agent(const v1::AgentEvent& event, int t) {
    engine_->onAgentEvent(event, at(t), out_);
    store_.apply(*engine_, out_);
    return out_;
  }
  Outcome& agent(const Presence& p, int t) { return agent(makePresence(p), t); }
  Outcome& tick(int t) {
    engine_->tick(at(t), out_);
    store_.apply(*engine_, out_);
    return out_;
  }
  v1::Assignment assignment(size_t i) const {
    v1::Assignment a;
    engine_->buildAssignment(out_.decisions.at(i), a);
    return a;
  }

  std::unique_ptr<DispatchEngine> engine_;
  Outcome out_;
  Store store_;
};

class OfferingEngineTest : public DispatchEngineTest {
 protected:
  OfferingEngineTest() : DispatchEngineTest(testPolicy(std::chrono::seconds(30))) {}
};

TEST_F(DispatchEngineTest, AssignsDirectlyWithoutReservationAndExplainsWhy) {
  agent({.agent = "alice"}, 0);
  work({.id = "w1", .enqueued = 3, .deadline = 120}, 5);
  ASSERT_THAT(decisions(out_), ElementsAre("w1 assigned alice"));
  const Decision& d = out_.decisions[0];
  EXPECT_TRUE(d.first_assignment);
  EXPECT_FALSE(d.sla_breached);
  const v1::Assignment a = assignment(0);
  EXPECT_EQ(a.assignment_id(), "w1/1/assigned");
  EXPECT_EQ(a.envelope().event_id(), "w1/1/assigned");
  EXPECT_EQ(a.envelope().causation_id(), "wi-event-w1");
  EXPECT_EQ(a.pool_id(), "tier1");
  EXPECT_EQ(a.queue_id(), "chat");
  EXPECT_EQ(a.reason().strategy(), "longest-idle");
  EXPECT_EQ(a.reason().candidate_count(), 1u);
  EXPECT_EQ(a.reason().waited().seconds(), 2);
  EXPECT_EQ(a.reason().queue_id(), "chat");
  EXPECT_EQ(a.reason().pool_id(), "tier1");
  EXPECT_EQ(a.reason().priority(), 50);
  EXPECT_EQ(a.reason().attempt(), 1u);
  EXPECT_FALSE(a.reason().overflowed());
  EXPECT_EQ(toTimePoint(a.reason().sla_deadline()), at(120));
  EXPECT_EQ(engine_->decisionItem(d).work_item_id(), "w1");
  v1::CustomerEvent served;
  ASSERT_TRUE(engine_->buildCustomerEvent(d, served));
  EXPECT_EQ(served.customer_id(), "cust-w1");
  EXPECT_EQ(served.served().agent_id(), "alice");
  EXPECT_EQ(engine_->inHandCount(), 1u);
  EXPECT_EQ(engine_->queueDepth(), 0u);
}

TEST_F(DispatchEngineTest, AssignmentAfterTheDeadlineCountsAsBreached) {
  work({.id = "w1", .deadline = 60}, 0);
  agent({.agent = "alice"}, 61);
  ASSERT_THAT(decisions(out_), ElementsAre("w1 assigned alice"));
  EXPECT_TRUE(out_.decisions[0].sla_breached);
}

TEST_F(DispatchEngineTest, LongestIdleFreeAgentsFirstThenTiesByAgentId) {
  agent({.agent = "bob"}, 10);
  agent({.agent = "alice"}, 10);
  agent({.agent = "carol"}, 5);
  EXPECT_THAT(pairs(work({.id = "w1"}, 20)), ElementsAre("w1 -> carol"));  // idle since 5
  EXPECT_THAT(pairs(work({.id = "w2"}, 21)), ElementsAre("w2 -> alice"));  // tie at 10: id
  EXPECT_EQ(out_.decisions[0].candidate_count, 3u);                        // carol has a spare slot
  EXPECT_THAT(pairs(work({.id = "w3"}, 22)), ElementsAre("w3 -> bob"));
  // Everyone busy with a spare slot: least recently assigned first.
  EXPECT_THAT(pairs(work({.id = "w4"}, 23)), ElementsAre("w4 -> carol"));
}

TEST_F(DispatchEngineTest, LeastBusyPicksTheAgentWithFewestItems) {
  // tier2 agents state their own capacity (the pool lists none).
  agent({.agent = "x", .capacities = {{v1::CHANNEL_CHAT, 3}}, .skills = {"tier2"}}, 0);
  agent({.agent = "y", .capacities = {{v1::CHANNEL_CHAT, 3}}, .skills = {"tier2"}}, 1);
  // Only tier2 after 90 s: items waiting long enough reach them.
  EXPECT_THAT(pairs(work({.id = "w1", .enqueued = 0}, 100)), ElementsAre("w1 -> x"));
  EXPECT_EQ(out_.decisions[0].strategy, "least-busy");
  EXPECT_TRUE(out_.decisions[0].overflowed);
  EXPECT_EQ(out_.decisions[0].overflow_step, 1u);
  EXPECT_THAT(pairs(work({.id = "w2", .enqueued = 0}, 101)), ElementsAre("w2 -> y"));
  EXPECT_THAT(pairs(work({.id = "w3", .enqueued = 0}, 102)), ElementsAre("w3 -> x"));
  agent(makeCompleted("x", "w1"), 103);
  agent(makeCompleted("x", "w3"), 104);
  // x holds nothing now, y holds one.
  EXPECT_THAT(pairs(work({.id = "w4", .enqueued = 0}, 105)), ElementsAre("w4 -> x"));
}

TEST_F(DispatchEngineTest, RoundRobinServesTheNeverAssignedFirstThenTheLeastRecent) {
  agent({.agent = "p2", .skills = {"fr"}}, 0);
  agent({.agent = "p1", .skills = {"fr"}}, 1);
  // Partners only after 3 min of waiting; their pool's capacity is chat 1.
  EXPECT_THAT(pairs(work({.id = "w1", .enqueued = 0}, 200)), ElementsAre("w1 -> p1"));
  EXPECT_EQ(out_.decisions[0].strategy, "round-robin");
  EXPECT_EQ(out_.decisions[0].overflow_step, 2u);
  EXPECT_THAT(pairs(work({.id = "w2", .enqueued = 0}, 201)), ElementsAre("w2 -> p2"));
  agent(makeCompleted("p1", "w1"), 202);
  agent(makeCompleted("p2", "w2"), 203);
  // p1 was assigned longest ago (t200), though p2 became free later.
  EXPECT_THAT(pairs(work({.id = "w3", .enqueued = 0}, 204)), ElementsAre("w3 -> p1"));
}

TEST_F(DispatchEngineTest, PoolCapacityOverridesStatedCapacity) {
  // tier1 lists chat 2: the stated chat 5 does not count; the stated SMS 1 does (tier1 lists
  // no SMS).
  agent({.agent = "alice", .capacities = {{v1::CHANNEL_CHAT, 5}, {v1::CHANNEL_SMS, 1}}}, 0);
  EXPECT_THAT(pairs(work({.id = "w1"}, 1)), ElementsAre("w1 -> alice"));
  EXPECT_THAT(pairs(work({.id = "w2"}, 2)), ElementsAre("w2 -> alice"));
  EXPECT_THAT(pairs(work({.id = "w3"}, 3)), IsEmpty());
  EXPECT_THAT(
      pairs(work({.id = "s1", .channel = v1::CHANNEL_SMS, .queue = "catch-all", .priority = 0}, 4)),
      ElementsAre("s1 -> alice"));
  EXPECT_THAT(
      pairs(work({.id = "s2", .channel = v1::CHANNEL_SMS, .queue = "catch-all", .priority = 0}, 5)),
      IsEmpty());
  const DispatchEngine::Occupancy occupancy = engine_->occupancy();
  EXPECT_EQ(occupancy.used, 3u);
  EXPECT_EQ(occupancy.total, 2u + 3u + 1u);  // chat 2, email 3 (pool), SMS 1 (stated)
}

TEST_F(DispatchEngineTest, AgentWithNoCapacityAnywhereTakesOneItemOfAnyChannel) {
  // tier2 lists no capacity and the agent states none.
  agent({.agent = "x", .skills = {"tier2"}}, 0);
  EXPECT_THAT(pairs(work({.id = "w1", .enqueued = 0}, 90)), ElementsAre("w1 -> x"));
  EXPECT_THAT(pairs(work({.id = "w2", .enqueued = 0}, 91)), IsEmpty());
  agent(makeCompleted("x", "w1"), 92);
  EXPECT_THAT(pairs(out_), ElementsAre("w2 -> x"));
}

TEST_F(DispatchEngineTest, ZeroCapacityTakesNothingOfThatChannel) {
  agent({.agent = "x",
         .capacities = {{v1::CHANNEL_CHAT, 0}, {v1::CHANNEL_EMAIL, 1}},
         .skills = {"tier2"}},
        0);
  EXPECT_THAT(pairs(work({.id = "w1", .enqueued = 0}, 95)), IsEmpty());
  EXPECT_EQ(engine_->queueDepth(), 1u);
}

TEST_F(DispatchEngineTest, AgentsOutsideEveryPoolGetNothing) {
  agent({.agent = "zed", .skills = {"de"}}, 0);
  EXPECT_THAT(pairs(work({.id = "w1", .enqueued = 0}, 500)), IsEmpty());
}

TEST_F(DispatchEngineTest, StickyAgentWithinGraceWinsOverALongerIdleColleague) {
  agent({.agent = "alice"}, 0);
  agent({.agent = "bob"}, 5);
  work({.id = "w1", .last_agent = "bob", .last_served = 0}, 600);  // 600 s = the 10 min grace
  ASSERT_THAT(pairs(out_), ElementsAre("w1 -> bob"));
  EXPECT_EQ(out_.decisions[0].strategy, "sticky");
  EXPECT_EQ(out_.decisions[0].candidate_count, 2u);
  EXPECT_EQ(out_.decisions[0].pool_id, "tier1");
}

TEST_F(DispatchEngineTest, StickyAgentAfterTheGraceIsJustOneOfTheCandidates) {
  agent({.agent = "alice"}, 0);
  agent({.agent = "bob"}, 5);
  work({.id = "w1", .last_agent = "bob", .last_served = 0}, 601);
  ASSERT_THAT(pairs(out_), ElementsAre("w1 -> alice"));
  EXPECT_EQ(out_.decisions[0].strategy, "longest-idle");
}

TEST_F(DispatchEngineTest, StickyAgentTakesTheItemWhenFreedToo) {
  agent({.agent = "bob"}, 0);
  work({.id = "w0"}, 1);
  work({.id = "w0b"}, 1);  // bob is full (chat 2)
  work({.id = "w1", .enqueued = 2, .last_agent = "bob", .last_served = 1}, 2);
  agent(makeCompleted("bob", "w0"), 3);
  ASSERT_THAT(pairs(out_), ElementsAre("w1 -> bob"));
  EXPECT_EQ(out_.decisions[1].strategy, "sticky");
}

TEST_F(DispatchEngineTest, HigherPriorityOvertakesOlderWork) {
  work({.id = "old", .priority = 50, .enqueued = 0}, 0);
  work({.id = "vip", .queue = "vip", .priority = 130, .enqueued = 10, .tier = "vip"}, 10);
  agent({.agent = "alice", .capacities = {}}, 20);
  EXPECT_THAT(pairs(out_), ElementsAre("vip -> alice", "old -> alice"));
}

TEST_F(DispatchEngineTest, SlaRiskBoostStartsOnlyInsideTheRiskWindow) {
  // chat: +100 from 30 s before the deadline.
  work({.id = "late", .priority = 50, .enqueued = 0, .deadline = 100}, 0);
  work({.id = "vip", .queue = "vip", .priority = 130, .enqueued = 5, .deadline = 1000}, 5);
  tick(69);
  agent({.agent = "alice", .capacities = {}}, 69);
  EXPECT_THAT(pairs(out_), ElementsAre("vip -> alice", "late -> alice"));
  EXPECT_FALSE(out_.decisions[1].sla_at_risk);
}

TEST_F(DispatchEngineTest, SlaRiskRaisesAnItemAboveYoungerHigherPriorityWork) {
  work({.id = "late", .priority = 50, .enqueued = 0, .deadline = 100}, 0);
  work({.id = "vip", .queue = "vip", .priority = 130, .enqueued = 5, .deadline = 1000}, 5);
  EXPECT_EQ(engine_->nextTimer(), at(70));
  tick(70);  // 150 > 130
  agent({.agent = "alice"}, 71);
  EXPECT_THAT(pairs(out_), ElementsAre("late -> alice", "vip -> alice"));
  EXPECT_TRUE(out_.decisions[0].sla_at_risk);
  EXPECT_EQ(out_.decisions[0].priority, 150);
}

TEST_F(DispatchEngineTest, OverflowWidensExactlyAtEachStep) {
  agent({.agent = "x", .capacities = {{v1::CHANNEL_CHAT, 1}}, .skills = {"tier2"}}, 0);
  agent({.agent = "p1", .skills = {"fr"}}, 0);
  work({.id = "w1", .enqueued = 0}, 0);
  work({.id = "w2", .enqueued = 0}, 0);
  EXPECT_THAT(tick(89).decisions, IsEmpty());
  tick(90);
  EXPECT_THAT(pairs(out_), ElementsAre("w1 -> x"));
  EXPECT_THAT(out_.widened, ElementsAre("chat", "chat"));
  EXPECT_TRUE(out_.decisions[0].overflowed);
  EXPECT_EQ(out_.decisions[0].pool_id, "tier2");
  EXPECT_THAT(tick(179).decisions, IsEmpty());
  tick(180);
  EXPECT_THAT(pairs(out_), ElementsAre("w2 -> p1"));
  EXPECT_EQ(out_.decisions[0].overflow_step, 2u);
  EXPECT_EQ(engine_->nextTimer(), std::nullopt);
}

TEST_F(DispatchEngineTest, PrimaryPoolIsPreferredOverAnOverflowPool) {
  agent({.agent = "x", .capacities = {{v1::CHANNEL_CHAT, 1}}, .skills = {"tier2"}}, 0);
  agent({.agent = "alice"}, 50);
  work({.id = "w1", .enqueued = 0}, 100);  // both pools eligible; x idle longer
  EXPECT_THAT(pairs(out_), ElementsAre("w1 -> alice"));
  EXPECT_FALSE(out_.decisions[0].overflowed);
}

TEST_F(DispatchEngineTest, AnItemNobodyCanServeDoesNotBlockThoseBehind) {
  work({.id = "ko", .priority = 90, .skills = {"ko"}}, 0);
  work({.id = "w2", .enqueued = 1}, 1);
  agent({.agent = "alice"}, 2);
  EXPECT_THAT(pairs(out_), ElementsAre("w2 -> alice"));
  EXPECT_EQ(engine_->queueDepth(), 1u);
  // A Korean speaker arrives: the higher item goes first.
  work({.id = "w3", .enqueued = 3}, 3);  // alice takes it (slot 2)
  agent({.agent = "minji", .skills = {"en", "ko"}}, 4);
  EXPECT_THAT(pairs(out_), ElementsAre("ko -> minji"));
}

TEST_F(DispatchEngineTest, CompletionFreesTheSlotAndLateDuplicatesAreIgnored) {
  agent({.agent = "alice", .capacities = {}}, 0);
  work({.id = "w1"}, 1);
  work({.id = "w2"}, 1);
  work({.id = "w3"}, 1);
  EXPECT_EQ(engine_->queueDepth(), 1u);
  agent(makeCompleted("alice", "w1"), 5);
  EXPECT_THAT(decisions(out_), ElementsAre("w1 completed alice", "w3 assigned alice"));
  ASSERT_EQ(out_.finished.size(), 1u);
  EXPECT_EQ(out_.finished[0].work_item_id, "w1");
  EXPECT_THAT(out_.removed_work, ElementsAre("w1"));
  v1::CustomerEvent finished;
  ASSERT_TRUE(engine_->buildCustomerEvent(out_.decisions[0], finished));
  EXPECT_EQ(finished.finished().agent_id(), "alice");
  EXPECT_TRUE(work({.id = "w1"}, 6).duplicate());
  EXPECT_TRUE(work({.id = "w2"}, 6).duplicate());
  EXPECT_EQ(agent(makeCompleted("alice", "w1"), 7).reason, reason::kUnknownWorkItem);
  EXPECT_EQ(agent(makeCompleted("nobody", "w1"), 7).reason, reason::kUnknownAgent);
}

TEST_F(DispatchEngineTest, FollowUpsJoinTheirConversation) {
  work({.id = "w1", .conversation = "c1"}, 0);
  Outcome& joined = work({.id = "w2", .conversation = "c1"}, 1);
  EXPECT_EQ(joined.disposition, Disposition::kJoined);
  EXPECT_EQ(joined.reason, reason::kJoinedConversation);
  EXPECT_EQ(engine_->queueDepth(), 1u);
  agent({.agent = "alice"}, 2);
  EXPECT_THAT(pairs(out_), ElementsAre("w1 -> alice"));
  // In hand: appended to alice without a slot.
  work({.id = "w3", .conversation = "c1"}, 3);
  ASSERT_THAT(decisions(out_), ElementsAre("w3 appended alice"));
  v1::Assignment a = assignment(0);
  EXPECT_EQ(a.assignment_id(), "w3/1/appended");
  EXPECT_EQ(a.reason().strategy(), "conversation");
  EXPECT_EQ(engine_->inHandCount(), 1u);
  EXPECT_TRUE(work({.id = "w3", .conversation = "c1"}, 4).duplicate());
  work({.id = "w4", .conversation = "c2"}, 5);
  work({.id = "w5", .conversation = "c3"}, 5);
  EXPECT_THAT(pairs(out_), IsEmpty());  // chat 2: w1 and w4
}

TEST_F(OfferingEngineTest, AnOfferAcceptedBecomesAnAssignment) {
  agent({.agent = "alice"}, 0);
  work({.id = "w1"}, 1);
  ASSERT_THAT(decisions(out_), ElementsAre("w1 offered alice"));
  EXPECT_EQ(assignment(0).assignment_id(), "w1/1/offered");
  v1::CustomerEvent none;
  EXPECT_FALSE(engine_->buildCustomerEvent(out_.decisions[0], none));
  EXPECT_EQ(engine_->offeredCount(), 1u);
  EXPECT_EQ(engine_->nextTimer(), at(31));
  agent(makeAccepted("alice", "w1"), 10);
  ASSERT_THAT(decisions(out_), ElementsAre("w1 assigned alice"));
  EXPECT_TRUE(out_.decisions[0].accepted);
  EXPECT_TRUE(out_.decisions[0].first_assignment);
  EXPECT_EQ(assignment(0).assignment_id(), "w1/1/assigned");
  EXPECT_EQ(assignment(0).reason().strategy(), "longest-idle");
  EXPECT_EQ(engine_->nextTimer(), std::nullopt);
  EXPECT_EQ(agent(makeAccepted("alice", "w1"), 11).reason, reason::kUnknownOffer);
  EXPECT_EQ(agent(makeAccepted("bob", "w1"), 11).reason, reason::kUnknownOffer);
}

TEST_F(OfferingEngineTest, ARejectedOfferGoesToTheNextAgentNotBackToTheRejecter) {
  agent({.agent = "alice"}, 0);
  agent({.agent = "bob"}, 1);
  work({.id = "w1"}, 2);
  ASSERT_THAT(pairs(out_), ElementsAre("w1 -> alice"));
  agent(makeRejected("alice", "w1"), 3);
  EXPECT_THAT(decisions(out_), ElementsAre("w1 requeued alice", "w1 offered bob"));
  EXPECT_EQ(out_.decisions[0].cause, cause::kRejected);
  EXPECT_EQ(out_.decisions[0].attempt, 1u);
  EXPECT_EQ(out_.decisions[1].attempt, 2u);
  EXPECT_EQ(assignment(1).assignment_id(), "w1/2/offered");
  agent(makeRejected("bob", "w1"), 4);
  EXPECT_THAT(decisions(out_), ElementsAre("w1 requeued bob"));
  EXPECT_EQ(engine_->queueDepth(), 1u);
  agent({.agent = "carol"}, 5);
  EXPECT_THAT(pairs(out_), ElementsAre("w1 -> carol"));
}

// Everyone eligible declined the item once: after defaults.decline_memory (1m by default) the
// list is forgotten and the item is offered again, rather than waiting for an agent who never
// comes. The forgetting is a timer like the others: it is state and survives a restore.
TEST_F(OfferingEngineTest, AnItemEveryoneDeclinedIsOfferedAgainAfterDeclineMemory) {
  agent({.agent = "alice"}, 0);
  agent({.agent = "bob"}, 1);
  work({.id = "w1", .enqueued = 2}, 2);
  agent(makeRejected("alice", "w1"), 3);
  agent(makeRejected("bob", "w1"), 4);
  EXPECT_THAT(decisions(out_), ElementsAre("w1 requeued bob"));
  EXPECT_EQ(engine_->nextTimer(), at(64));  // before the overflow step at 92
  v1::WorkState state;
  ASSERT_TRUE(engine_->workState("w1", state));
  EXPECT_THAT(state.declined_agent_ids(), ElementsAre("alice", "bob"));
  EXPECT_EQ(toTimePoint(state.last_declined_at()), at(4));

  Outcome restored_out;
  auto restored = store_.restore(testPolicy(std::chrono::seconds(30)), {}, at(63), restored_out);
  EXPECT_THAT(restored_out.decisions, IsEmpty());
  EXPECT_EQ(restored->nextTimer(), at(64));

  EXPECT_THAT(tick(63).decisions, IsEmpty());
  tick(64);
  // alice has been idle longest (bob's slot was taken back later).
  ASSERT_THAT(decisions(out_), ElementsAre("w1 offered alice"));
  EXPECT_EQ(out_.decisions[0].attempt, 3u);
  EXPECT_THAT(out_.changed_work, ElementsAre("w1"));
  ASSERT_TRUE(engine_->workState("w1", state));
  EXPECT_THAT(state.declined_agent_ids(), IsEmpty());
  EXPECT_FALSE(state.has_last_declined_at());
}

TEST_F(OfferingEngineTest, DeclineMemoryZeroNeverForgets) {
  auto policy = parse(kPolicyYaml);
  policy->defaults.decline_memory = std::chrono::seconds(0);
  engine_->setPolicy(policy, at(0), out_);
  agent({.agent = "alice"}, 0);
  work({.id = "w1", .enqueued = 1}, 1);
  agent(makeRejected("alice", "w1"), 2);
  EXPECT_EQ(engine_->nextTimer(), at(90));  // SLA risk (deadline 120 - 30 s) only, none at 62
  EXPECT_THAT(tick(600).decisions, IsEmpty());
  EXPECT_EQ(engine_->queueDepth(), 1u);
}

TEST_F(OfferingEngineTest, ALapsedOfferSetsTheAgentAwayAndGoesToSomeoneElse) {
  agent({.agent = "alice"}, 0);
  agent({.agent = "bob"}, 1);
  work({.id = "w1"}, 2);
  EXPECT_THAT(tick(31).decisions, IsEmpty());
  tick(32);
  EXPECT_THAT(decisions(out_), ElementsAre("w1 requeued alice", "w1 offered bob"));
  EXPECT_EQ(out_.decisions[0].cause, cause::kOfferTimeout);
  EXPECT_EQ(engine_->agentCount(v1::PRESENCE_AWAY), 1u);
  v1::AgentState alice;
  ASSERT_TRUE(engine_->agentState("alice", alice));
  EXPECT_EQ(alice.presence(), v1::PRESENCE_AWAY);
  EXPECT_EQ(agent(makeAccepted("alice", "w1"), 33).reason, reason::kUnknownOffer);
}

TEST_F(OfferingEngineTest, AgentGoingOfflineLosesOffersButKeepsWorkInHand) {
  agent({.agent = "alice"}, 0);
  work({.id = "w1"}, 1);
  agent(makeAccepted("alice", "w1"), 2);
  work({.id = "w2"}, 3);
  ASSERT_THAT(pairs(out_), ElementsAre("w2 -> alice"));
  agent({.agent = "bob"}, 4);
  agent({.agent = "alice", .presence = v1::PRESENCE_OFFLINE}, 5);
  EXPECT_THAT(decisions(out_), ElementsAre("w2 requeued alice", "w2 offered bob"));
  EXPECT_EQ(out_.decisions[0].cause, cause::kAgentOffline);
  v1::AgentState alice;
  ASSERT_TRUE(engine_->agentState("alice", alice));
  ASSERT_EQ(alice.active_work_items_size(), 1);
  EXPECT_EQ(alice.active_work_items(0).work_item_id(), "w1");
}

TEST_F(OfferingEngineTest, TransferToANamedAgentOffersItThem) {
  agent({.agent = "alice"}, 0);
  work({.id = "w1"}, 1);
  agent(makeAccepted("alice", "w1"), 2);
  agent({.agent = "zed", .capacities = {{v1::CHANNEL_CHAT, 1}}, .skills = {"de"}}, 3);
  agent(makeTransfer("alice", "w1", "zed", ""), 4);  // zed is in no pool: named, so fine
  EXPECT_THAT(decisions(out_), ElementsAre("w1 requeued alice", "w1 offered zed"));
  EXPECT_EQ(out_.decisions[0].cause, cause::kTransferred);
  EXPECT_EQ(out_.decisions[1].strategy, kStrategyTransfer);
  EXPECT_EQ(out_.decisions[1].attempt, 2u);
}

TEST_F(OfferingEngineTest, TransferToAQueueKeepsTheWaitAndSkipsTheTransferringAgent) {
  agent({.agent = "alice"}, 0);
  work({.id = "w1", .enqueued = 0}, 1);
  agent(makeAccepted("alice", "w1"), 2);
  work({.id = "w2", .priority = 50, .enqueued = 5}, 5);
  agent(makeAccepted("alice", "w2"), 6);
  agent(makeTransfer("alice", "w1", "", "nope"), 7);
  EXPECT_EQ(out_.reason, reason::kUnknownQueue);
  // To an unknown agent: queued in the named queue.
  agent(makeTransfer("alice", "w1", "busy-person", "catch-all"), 8);
  EXPECT_THAT(decisions(out_), ElementsAre("w1 requeued alice"));
  EXPECT_EQ(engine_->workItem("w1")->queue_id(), "catch-all");
  EXPECT_EQ(engine_->workItem("w1")->priority(), 0);
  EXPECT_EQ(toTimePoint(engine_->workItem("w1")->enqueued_at()), at(0));
  // alice has a free slot again, but not for the item she handed on.
  work({.id = "w3", .queue = "catch-all", .priority = 0, .enqueued = 9}, 9);
  EXPECT_THAT(pairs(out_), ElementsAre("w3 -> alice"));
  agent({.agent = "bob"}, 10);
  EXPECT_THAT(pairs(out_), ElementsAre("w1 -> bob"));
}

TEST_F(OfferingEngineTest, PolicyReloadKeepsEveryItemAndReselectsVanishedQueues) {
  agent({.agent = "alice", .capacities = {}}, 0);
  work({.id = "w1"}, 1);  // offered to alice
  work({.id = "w2", .channel = v1::CHANNEL_EMAIL, .queue = "old-email", .priority = 7}, 2);
  EXPECT_EQ(engine_->workItem("w2")->queue_id(), "catch-all");  // unknown at arrival
  work({.id = "w3", .queue = "vip", .priority = 100, .tier = "vip"}, 3);
  ASSERT_THAT(pairs(out_), ElementsAre("w3 -> alice"));  // alice: chat 2

  auto next = parse(std::string(kPolicyYaml) + R"(
  - name: email
    filter: 'channel == "email"'
    priority: 5
    pool: tier1
)");
  // The vip queue goes away.
  next->queues.erase(next->queues.begin());
  engine_->setPolicy(next, at(4), out_);
  store_.apply(*engine_, out_);
  EXPECT_EQ(engine_->offeredCount(), 3u);
  EXPECT_EQ(engine_->workItem("w3")->queue_id(), "chat");  // re-selected
  EXPECT_EQ(engine_->workItem("w3")->priority(), 50);
  EXPECT_EQ(engine_->workItem("w2")->queue_id(), "catch-all");  // kept: still exists
  EXPECT_THAT(out_.changed_work, ElementsAre("w3"));
  agent(makeAccepted("alice", "w3"), 5);
  EXPECT_EQ(out_.decisions.at(0).queue_id, "chat");
  // Nothing was lost.
  EXPECT_EQ(engine_->queueDepth() + engine_->offeredCount() + engine_->inHandCount(), 3u);
}

TEST_F(DispatchEngineTest, PolicyReloadRecomputesMembershipAndMatches) {
  agent({.agent = "zed", .skills = {"de"}}, 0);
  work({.id = "w1"}, 1);
  EXPECT_THAT(pairs(out_), IsEmpty());
  auto next = parse(std::string(kPolicyYaml));
  next->defaults.reservation_timeout = std::chrono::seconds(0);
  next->pools[0].skills = {"de"};
  engine_->setPolicy(next, at(2), out_);
  EXPECT_THAT(pairs(out_), ElementsAre("w1 -> zed"));
}

TEST_F(OfferingEngineTest, RestoredEngineFiresTheTimersThatCameDueMeanwhile) {
  agent({.agent = "alice"}, 0);
  agent({.agent = "x", .capacities = {{v1::CHANNEL_CHAT, 1}}, .skills = {"tier2"}}, 0);
  work({.id = "w1"}, 1);                 // offered to alice until 31
  work({.id = "w2", .enqueued = 2}, 2);  // offered to alice too (chat 2)
  agent(makeAccepted("alice", "w2"), 3);
  EXPECT_EQ(out_.reason, std::string_view());
  work({.id = "w3", .enqueued = 4}, 4);  // waits: alice full, x only after 90 s
  EXPECT_THAT(pairs(out_), IsEmpty());

  Outcome restored_out;
  auto restored = store_.restore(testPolicy(std::chrono::seconds(30)), {}, at(100), restored_out);
  // The offer lapsed at 31: alice is away, w1 went to x (90 s of waiting reached at 91) ...
  EXPECT_THAT(decisions(restored_out), ElementsAre("w1 requeued alice", "w1 offered x"));
  EXPECT_EQ(restored->agentCount(v1::PRESENCE_AWAY), 1u);
  EXPECT_EQ(restored->queueDepth(), 1u);
  EXPECT_EQ(restored->inHandCount(), 1u);
}

TEST_F(DispatchEngineTest, RestoredEngineDecidesLikeTheOriginal) {
  agent({.agent = "alice"}, 0);
  work({.id = "w1"}, 1);
  work({.id = "w2"}, 2);
  work({.id = "w3", .enqueued = 3}, 3);
  agent(makeCompleted("alice", "w1"), 4);
  Outcome restored_out;
  auto restored = store_.restore(testPolicy(), {}, at(5), restored_out);
  EXPECT_THAT(restored_out.decisions, IsEmpty());
  EXPECT_TRUE(restored->remembersFinished("w1"));
  EXPECT_EQ(restored->inHandCount(), 2u);
  EXPECT_THAT(decisions(restored->onAgentEvent(makeCompleted("alice", "w2"), at(6))),
              ElementsAre("w2 completed alice"));
  EXPECT_THAT(pairs(restored->onWorkItem(makeWork({.id = "w4"}), at(7))),
              ElementsAre("w4 -> alice"));
  EXPECT_TRUE(restored->onWorkItem(makeWork({.id = "w3"}), at(8)).duplicate());
}

// Records written across a crash can hold an id both as work in hand and as finished (the
// completion's finished record landed, its removal of the work record did not). The restored
// engine treats it as held until completed, and then remembers it once, not twice.
TEST_F(DispatchEngineTest, RestoredIdBothHeldAndFinishedIsRememberedOnce) {
  agent({.agent = "alice"}, 0);
  work({.id = "w1"}, 1);
  v1::AgentState alice;
  v1::WorkState held;
  ASSERT_TRUE(engine_->agentState("alice", alice));
  ASSERT_TRUE(engine_->workState("w1", held));
  agent(makeCompleted("alice", "w1"), 2);
  ASSERT_EQ(out_.finished.size(), 1u);
  v1::FinishedWork finished;
  engine_->finishedWork(out_.finished[0], finished);

  DispatchEngine restored(kDomain, testPolicy());
  ASSERT_TRUE(restored.restoreAgent(alice));
  ASSERT_TRUE(restored.restoreWork(held));
  ASSERT_TRUE(restored.restoreFinished(finished));
  Outcome out;
  restored.restored(at(3), out);
  EXPECT_EQ(restored.inHandCount(), 1u);

  restored.onWorkItem(makeWork({.id = "w1"}), at(4), out);
  EXPECT_TRUE(out.duplicate());
  EXPECT_THAT(out.detail, HasSubstr("in hand"));

  restored.onAgentEvent(makeCompleted("alice", "w1"), at(5), out);
  EXPECT_THAT(decisions(out), ElementsAre("w1 completed alice"));
  EXPECT_THAT(out.finished, IsEmpty());  // already remembered: no second record
  EXPECT_THAT(out.removed_work, ElementsAre("w1"));
  EXPECT_EQ(restored.inHandCount(), 0u);
  EXPECT_TRUE(restored.remembersFinished("w1"));

  restored.onWorkItem(makeWork({.id = "w1"}), at(6), out);
  EXPECT_TRUE(out.duplicate());
  EXPECT_THAT(out.detail, HasSubstr("finished recently"));
}

}  // namespace
}  // namespace switchboard::dispatch
