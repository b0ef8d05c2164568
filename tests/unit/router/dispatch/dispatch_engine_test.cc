#include "router/dispatch/dispatch_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/router/dispatch/dispatch_test_util.h"

namespace switchboard::dispatch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace switchboard::dispatch::testing;  // NOLINT(build/namespaces): test builders

constexpr v1::Channel kChat = v1::CHANNEL_CHAT;
constexpr v1::Channel kEmail = v1::CHANNEL_EMAIL;
constexpr v1::Channel kSms = v1::CHANNEL_SMS;

class DispatchEngineTest : public ::testing::Test {
 protected:
  Outcome available(const std::string& agent, int t,
                    std::vector<std::pair<v1::Channel, uint32_t>> capacities = {},
                    std::vector<std::string> skills = {}) {
    return engine_.onAgentEvent(makePresence({.agent = agent,
                                              .presence = v1::PRESENCE_AVAILABLE,
                                              .capacities = std::move(capacities),
                                              .skills = std::move(skills)}),
                                at(t));
  }
  Outcome presence(const std::string& agent, v1::Presence p, int t) {
    return engine_.onAgentEvent(makePresence({.agent = agent, .presence = p}), at(t));
  }
  Outcome work(const Work& w, int t) { return engine_.onWorkItem(makeWork(w), at(t)); }
  Outcome complete(const std::string& agent, const std::string& work_item_id, int t) {
    return engine_.onAgentEvent(makeCompleted(agent, work_item_id), at(t));
  }
  std::vector<std::string> activeOf(const std::string& agent) {
    std::vector<std::string> ids;
    for (const v1::ActiveWork& w : engine_.agent(agent)->active_work_items()) {
      ids.push_back(w.work_item_id());
    }
    return ids;
  }

  DispatchEngine engine_{kPool};
};

// --- Assignment when work and agents meet ----------------------------------------------------

TEST_F(DispatchEngineTest, AssignsWaitingWorkWhenAnAgentBecomesAvailable) {
  Outcome queued = work({.id = "w1", .channel = kEmail, .enqueued = 0}, 0);
  EXPECT_THAT(queued.assignments, IsEmpty());
  EXPECT_THAT(queued.queued, ElementsAre("w1"));
  EXPECT_EQ(engine_.queueDepth(), 1u);

  Outcome out = available("alice", 42);
  ASSERT_EQ(out.disposition, Disposition::kApplied);
  ASSERT_EQ(out.assignments.size(), 1u);
  const v1::Assignment& a = out.assignments[0];
  EXPECT_EQ(a.assignment_id(), "asg-w1-1");
  EXPECT_EQ(a.envelope().event_id(), "asg-w1-1");
  EXPECT_EQ(a.envelope().causation_id(), "presence-alice");
  EXPECT_EQ(a.envelope().trace_id(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(a.envelope().producer(), "router/dispatch");
  EXPECT_EQ(a.status(), v1::ASSIGNMENT_STATUS_ASSIGNED);
  EXPECT_EQ(a.work_item_id(), "w1");
  EXPECT_EQ(a.agent_id(), "alice");
  EXPECT_EQ(a.pool_id(), kPool);
  EXPECT_EQ(a.queue_id(), "general");
  EXPECT_EQ(a.customer_id(), "cust-w1");
  EXPECT_EQ(a.conversation_id(), "conv-w1");
  EXPECT_EQ(a.channel(), kEmail);
  EXPECT_EQ(toTimePoint(a.decided_at()), at(42));
  EXPECT_EQ(a.work_item().work_item_id(), "w1");
  EXPECT_EQ(a.work_item().customer_id(), "cust-w1");
  EXPECT_EQ(a.reason().strategy(), "longest-idle");
  EXPECT_EQ(a.reason().candidate_count(), 1u);
  EXPECT_EQ(a.reason().waited().seconds(), 42);
  EXPECT_EQ(a.reason().waited().nanos(), 0);
  EXPECT_FALSE(a.reason().overflowed());
  EXPECT_EQ(a.reason().detail(), "first of 1 eligible agent(s): idle for 0s");

  EXPECT_THAT(out.changed_agents, ElementsAre("alice"));
  EXPECT_THAT(out.queued, IsEmpty());
  EXPECT_THAT(out.dequeued, ElementsAre("w1"));
  EXPECT_EQ(engine_.queueDepth(), 0u);
  EXPECT_EQ(engine_.queuedItem("w1"), nullptr);
  const v1::AgentState* alice = engine_.agent("alice");
  ASSERT_NE(alice, nullptr);
  ASSERT_EQ(alice->active_work_items_size(), 1);
  EXPECT_EQ(alice->active_work_items(0).work_item_id(), "w1");
  EXPECT_EQ(alice->active_work_items(0).channel(), kEmail);
  EXPECT_EQ(alice->active_work_items(0).attempt(), 1u);
  EXPECT_EQ(toTimePoint(alice->active_work_items(0).assigned_at()), at(42));
  EXPECT_EQ(toTimePoint(alice->last_assigned_at()), at(42));
}

TEST_F(DispatchEngineTest, AssignsNewWorkToAnAvailableAgentAtOnce) {
  Outcome first = available("alice", 0);
  EXPECT_THAT(first.assignments, IsEmpty());
  EXPECT_THAT(first.changed_agents, ElementsAre("alice"));
  EXPECT_EQ(toTimePoint(engine_.agent("alice")->idle_since()), at(0));

  Outcome out = work({.id = "w1", .enqueued = 5}, 5);
  EXPECT_THAT(pairs(out), ElementsAre("w1 -> alice"));
  EXPECT_EQ(out.assignments[0].reason().waited().seconds(), 0);
  EXPECT_EQ(out.assignments[0].envelope().causation_id(), "wi-event-w1");
  EXPECT_EQ(out.assignments[0].reason().detail(), "first of 1 eligible agent(s): idle for 5s");
  // Queued and served by the same call: nothing to persist for the queue.
  EXPECT_THAT(out.queued, IsEmpty());
  EXPECT_THAT(out.dequeued, IsEmpty());
  EXPECT_THAT(out.changed_agents, ElementsAre("alice"));
}

TEST_F(DispatchEngineTest, WorkWithoutEnqueuedAtWaitsFromArrival) {
  v1::WorkItem item = makeWork({.id = "w1"});
  item.clear_enqueued_at();
  engine_.onWorkItem(item, at(10));
  EXPECT_EQ(toTimePoint(engine_.queuedItem("w1")->enqueued_at()), at(10));
  EXPECT_EQ(engine_.oldestEnqueuedAt(), at(10));
  Outcome out = available("alice", 25);
  ASSERT_EQ(out.assignments.size(), 1u);
  EXPECT_EQ(out.assignments[0].reason().waited().seconds(), 15);
}

TEST_F(DispatchEngineTest, WorkEnqueuedInTheFutureWaitedZero) {
  available("alice", 0);
  Outcome out = work({.id = "w1", .enqueued = 30}, 10);  // producer's clock ahead of ours
  ASSERT_EQ(out.assignments.size(), 1u);
  EXPECT_EQ(out.assignments[0].reason().waited().seconds(), 0);
}

// --- Queue order -------------------------------------------------------------------------------

TEST_F(DispatchEngineTest, ServesHigherPriorityFirstThenOlderThenById) {
  work({.id = "old-low", .priority = 0, .enqueued = 0}, 0);
  work({.id = "new-high", .priority = 5, .enqueued = 3}, 3);
  work({.id = "old-high", .priority = 5, .enqueued = 2}, 3);
  work({.id = "tie-b", .priority = 1, .enqueued = 1}, 3);
  work({.id = "tie-a", .priority = 1, .enqueued = 1}, 3);
  EXPECT_EQ(engine_.queueDepth(), 5u);
  EXPECT_EQ(engine_.oldestEnqueuedAt(), at(0));

  EXPECT_THAT(pairs(available("alice", 10)), ElementsAre("old-high -> alice"));
  EXPECT_THAT(pairs(complete("alice", "old-high", 11)), ElementsAre("new-high -> alice"));
  EXPECT_THAT(pairs(complete("alice", "new-high", 12)), ElementsAre("tie-a -> alice"));
  EXPECT_THAT(pairs(complete("alice", "tie-a", 13)), ElementsAre("tie-b -> alice"));
  EXPECT_THAT(pairs(complete("alice", "tie-b", 14)), ElementsAre("old-low -> alice"));
  EXPECT_EQ(engine_.queueDepth(), 0u);
  EXPECT_EQ(engine_.oldestEnqueuedAt(), std::nullopt);
}

TEST_F(DispatchEngineTest, ServesSeveralItemsInOrderWhenAnAgentHasSeveralSlots) {
  work({.id = "w-low", .priority = 0, .enqueued = 0}, 0);
  work({.id = "w-mid", .priority = 3, .enqueued = 1}, 1);
  work({.id = "w-high", .priority = 9, .enqueued = 2}, 2);
  Outcome out = available("alice", 5, {{kChat, 2}});
  EXPECT_THAT(pairs(out), ElementsAre("w-high -> alice", "w-mid -> alice"));
  EXPECT_THAT(out.dequeued, ElementsAre("w-high", "w-mid"));
  EXPECT_THAT(out.changed_agents, ElementsAre("alice"));  // listed once
  EXPECT_EQ(engine_.queueDepth(), 1u);
}

// --- Longest idle ------------------------------------------------------------------------------

TEST_F(DispatchEngineTest, LongestIdleAgentGetsTheWork) {
  available("carol", 2);
  available("alice", 0);
  available("bob", 1);
  Outcome out = work({.id = "w1", .enqueued = 5}, 5);
  EXPECT_THAT(pairs(out), ElementsAre("w1 -> alice"));
  EXPECT_EQ(out.assignments[0].reason().candidate_count(), 3u);
  EXPECT_EQ(out.assignments[0].reason().detail(), "first of 3 eligible agent(s): idle for 5s");
  EXPECT_THAT(pairs(work({.id = "w2", .enqueued = 6}, 6)), ElementsAre("w2 -> bob"));
  EXPECT_THAT(pairs(work({.id = "w3", .enqueued = 7}, 7)), ElementsAre("w3 -> carol"));
}

TEST_F(DispatchEngineTest, LongestIdleTieBreaksByAgentId) {
  available("bob", 0);
  available("alice", 0);
  available("carol", 0);
  EXPECT_THAT(pairs(work({.id = "w1"}, 1)), ElementsAre("w1 -> alice"));
  EXPECT_THAT(pairs(work({.id = "w2"}, 1)), ElementsAre("w2 -> bob"));
}

TEST_F(DispatchEngineTest, AgentIsIdleFromWhenItFinishedItsLastItem) {
  available("alice", 0);
  available("bob", 1);
  EXPECT_THAT(pairs(work({.id = "w1"}, 2)), ElementsAre("w1 -> alice"));
  Outcome done = complete("alice", "w1", 5);
  EXPECT_THAT(done.assignments, IsEmpty());
  EXPECT_EQ(toTimePoint(engine_.agent("alice")->idle_since()), at(5));
  // bob idle since t+1 beats alice idle since t+5.
  EXPECT_THAT(pairs(work({.id = "w2"}, 6)), ElementsAre("w2 -> bob"));
}

TEST_F(DispatchEngineTest, AgentBackFromAwayIsIdleFromItsReturn) {
  available("alice", 0);
  available("bob", 1);
  presence("alice", v1::PRESENCE_AWAY, 2);
  available("alice", 3);
  EXPECT_EQ(toTimePoint(engine_.agent("alice")->idle_since()), at(3));
  EXPECT_THAT(pairs(work({.id = "w1"}, 4)), ElementsAre("w1 -> bob"));
}

TEST_F(DispatchEngineTest, RepeatedAvailableKeepsIdleSince) {
  available("alice", 0);
  available("bob", 1);
  available("alice", 2, {{kChat, 1}});  // capacity update, still available
  EXPECT_EQ(toTimePoint(engine_.agent("alice")->idle_since()), at(0));
  EXPECT_THAT(pairs(work({.id = "w1"}, 3)), ElementsAre("w1 -> alice"));
}

TEST_F(DispatchEngineTest, FreeAgentsComeBeforeAgentsWithWorkInHand) {
  available("alice", 0, {{kChat, 2}});
  available("bob", 1, {{kChat, 1}});
  available("carol", 2, {{kChat, 2}});
  EXPECT_THAT(pairs(work({.id = "w1"}, 3)), ElementsAre("w1 -> alice"));
  // alice has a spare slot but is busy; bob and carol are idle.
  EXPECT_THAT(pairs(work({.id = "w2"}, 4)), ElementsAre("w2 -> bob"));
  EXPECT_THAT(pairs(work({.id = "w3"}, 5)), ElementsAre("w3 -> carol"));
  // Only busy agents with spare slots left: the one assigned longest ago.
  Outcome out = work({.id = "w4"}, 6);
  EXPECT_THAT(pairs(out), ElementsAre("w4 -> alice"));
  EXPECT_EQ(out.assignments[0].reason().candidate_count(), 2u);
  EXPECT_EQ(out.assignments[0].reason().detail(),
            "first of 2 eligible agent(s): 1 item(s) in hand, last assigned 3s ago");
  EXPECT_THAT(pairs(work({.id = "w5"}, 7)), ElementsAre("w5 -> carol"));
  EXPECT_THAT(work({.id = "w6"}, 8).assignments, IsEmpty());
}

// --- Capacity ----------------------------------------------------------------------------------

TEST_F(DispatchEngineTest, PerChannelCapacityFillsExactlyAndCompletionFreesASlot) {
  available("alice", 0, {{kChat, 2}, {kEmail, 1}});
  EXPECT_THAT(pairs(work({.id = "c1", .channel = kChat}, 1)), ElementsAre("c1 -> alice"));
  EXPECT_THAT(pairs(work({.id = "c2", .channel = kChat}, 2)), ElementsAre("c2 -> alice"));
  // Chat is exactly full; the third chat waits.
  Outcome third = work({.id = "c3", .channel = kChat, .enqueued = 3}, 3);
  EXPECT_THAT(third.assignments, IsEmpty());
  EXPECT_THAT(third.queued, ElementsAre("c3"));
  // Email has its own slot: total concurrency is the sum of the channels.
  EXPECT_THAT(pairs(work({.id = "e1", .channel = kEmail}, 4)), ElementsAre("e1 -> alice"));
  EXPECT_THAT(work({.id = "e2", .channel = kEmail, .enqueued = 5}, 5).assignments, IsEmpty());
  // No SMS capacity at all: never served by alice.
  EXPECT_THAT(work({.id = "s1", .channel = kSms, .enqueued = 6}, 6).assignments, IsEmpty());
  EXPECT_EQ(engine_.agent("alice")->active_work_items_size(), 3);

  // Completing an email frees an email slot only.
  EXPECT_THAT(pairs(complete("alice", "e1", 7)), ElementsAre("e2 -> alice"));
  // Completing a chat frees a chat slot.
  Outcome freed = complete("alice", "c1", 8);
  EXPECT_THAT(pairs(freed), ElementsAre("c3 -> alice"));
  ASSERT_EQ(freed.finished.size(), 1u);
  EXPECT_EQ(freed.finished[0].work_item_id(), "c1");
  EXPECT_THAT(activeOf("alice"), ElementsAre("c2", "e2", "c3"));
  EXPECT_EQ(engine_.queueDepth(), 1u);  // s1
}

TEST_F(DispatchEngineTest, AgentWithoutKnownCapacitiesTakesOneItemOfAnyChannel) {
  available("alice", 0);
  EXPECT_THAT(pairs(work({.id = "e1", .channel = kEmail}, 1)), ElementsAre("e1 -> alice"));
  EXPECT_THAT(work({.id = "c1", .channel = kChat, .enqueued = 2}, 2).assignments, IsEmpty());
  EXPECT_THAT(pairs(complete("alice", "e1", 3)), ElementsAre("c1 -> alice"));
  EXPECT_THAT(engine_.agent("alice")->capacities(), IsEmpty());
}

TEST_F(DispatchEngineTest, ZeroCapacityMeansNoWorkOnThatChannel) {
  available("alice", 0, {{kChat, 0}, {kEmail, 1}});
  EXPECT_THAT(work({.id = "c1", .channel = kChat}, 1).assignments, IsEmpty());
  EXPECT_THAT(pairs(work({.id = "e1", .channel = kEmail}, 2)), ElementsAre("e1 -> alice"));
}

TEST_F(DispatchEngineTest, PresenceWithoutCapacitiesOrSkillsKeepsTheKnownOnes) {
  available("alice", 0, {{kChat, 2}}, {"ko"});
  presence("alice", v1::PRESENCE_AWAY, 1);
  available("alice", 2);
  const v1::AgentState* alice = engine_.agent("alice");
  ASSERT_EQ(alice->capacities_size(), 1);
  EXPECT_EQ(alice->capacities(0).channel(), kChat);
  EXPECT_EQ(alice->capacities(0).max_concurrent(), 2u);
  EXPECT_THAT(alice->skills(), ElementsAre("ko"));
  EXPECT_THAT(pairs(work({.id = "c1", .skills = {"ko"}}, 3)), ElementsAre("c1 -> alice"));
  EXPECT_THAT(pairs(work({.id = "c2", .skills = {"ko"}}, 4)), ElementsAre("c2 -> alice"));
}

TEST_F(DispatchEngineTest, CapacitiesAndSkillsReplaceTheKnownOnesWhenGiven) {
  available("alice", 0, {{kChat, 1}}, {"ko"});
  available("alice", 1, {{kEmail, 1}}, {"billing"});
  const v1::AgentState* alice = engine_.agent("alice");
  ASSERT_EQ(alice->capacities_size(), 1);
  EXPECT_EQ(alice->capacities(0).channel(), kEmail);
  EXPECT_THAT(alice->skills(), ElementsAre("billing"));
  EXPECT_THAT(work({.id = "c1", .channel = kChat}, 2).assignments, IsEmpty());
  EXPECT_THAT(work({.id = "e1", .channel = kEmail, .skills = {"ko"}}, 3).assignments, IsEmpty());
  EXPECT_THAT(pairs(work({.id = "e2", .channel = kEmail, .skills = {"billing"}}, 4)),
              ElementsAre("e2 -> alice"));
}

TEST_F(DispatchEngineTest, CapacityRaisedServesWaitingWork) {
  available("alice", 0, {{kChat, 1}});
  work({.id = "c1"}, 1);
  work({.id = "c2", .enqueued = 2}, 2);
  EXPECT_THAT(pairs(available("alice", 3, {{kChat, 2}})), ElementsAre("c2 -> alice"));
}

TEST_F(DispatchEngineTest, CapacityLoweredBelowWorkInHandTakesNothingNew) {
  available("alice", 0, {{kChat, 2}});
  work({.id = "c1"}, 1);
  work({.id = "c2"}, 2);
  available("alice", 3, {{kChat, 1}});
  work({.id = "c3", .enqueued = 4}, 4);
  EXPECT_THAT(complete("alice", "c1", 5).assignments, IsEmpty());  // 1 in hand, capacity 1
  EXPECT_THAT(pairs(complete("alice", "c2", 6)), ElementsAre("c3 -> alice"));
}

// --- Skills, head-of-line blocking, priority protection ---------------------------------------

TEST_F(DispatchEngineTest, AgentMustHoldEveryRequiredSkill) {
  available("alice", 0, {}, {"ko"});
  available("bob", 1, {}, {"billing", "ko", "vip"});
  Outcome out = work({.id = "w1", .skills = {"ko", "billing"}}, 2);
  EXPECT_THAT(pairs(out), ElementsAre("w1 -> bob"));
  EXPECT_EQ(out.assignments[0].reason().candidate_count(), 1u);
  // Required skills in another order and repeated are the same requirement.
  available("carol", 3, {}, {"ko", "billing"});
  EXPECT_THAT(pairs(work({.id = "w2", .skills = {"billing", "ko", "billing"}}, 4)),
              ElementsAre("w2 -> carol"));
}

TEST_F(DispatchEngineTest, UnservableHeadDoesNotBlockTheItemsBehindIt) {
  work({.id = "needs-ko", .priority = 10, .enqueued = 0, .skills = {"ko"}}, 0);
  work({.id = "plain", .priority = 0, .enqueued = 1}, 1);
  Outcome out = available("alice", 2, {{kChat, 2}});
  EXPECT_THAT(pairs(out), ElementsAre("plain -> alice"));
  EXPECT_EQ(engine_.queueDepth(), 1u);
  EXPECT_NE(engine_.queuedItem("needs-ko"), nullptr);
  // A new plain item is served too while the head still waits.
  EXPECT_THAT(pairs(work({.id = "plain2"}, 3)), ElementsAre("plain2 -> alice"));
  EXPECT_THAT(pairs(available("kim", 4, {}, {"ko"})), ElementsAre("needs-ko -> kim"));
}

TEST_F(DispatchEngineTest, LowerPriorityNeverTakesAnAgentAHigherItemCouldUse) {
  // The low item is older and has no skill requirement, but the high item can use alice.
  work({.id = "low", .priority = 0, .enqueued = 0}, 0);
  work({.id = "high-ko", .priority = 5, .enqueued = 1, .skills = {"ko"}}, 1);
  EXPECT_THAT(pairs(available("alice", 2, {}, {"ko"})), ElementsAre("high-ko -> alice"));
  EXPECT_THAT(pairs(available("bob", 3)), ElementsAre("low -> bob"));
}

TEST_F(DispatchEngineTest, HigherPriorityOnAnotherChannelWinsAnyChannelAgent) {
  work({.id = "email-low", .channel = kEmail, .priority = 1, .enqueued = 0}, 0);
  work({.id = "chat-high", .channel = kChat, .priority = 5, .enqueued = 1}, 1);
  EXPECT_THAT(pairs(available("alice", 2)), ElementsAre("chat-high -> alice"));
}

TEST_F(DispatchEngineTest, WithSeveralSlotsTheHigherItemIsServedBeforeTheLower) {
  work({.id = "low", .priority = 0, .enqueued = 0}, 0);
  work({.id = "high", .priority = 7, .enqueued = 1}, 1);
  work({.id = "high-ko", .priority = 9, .enqueued = 2, .skills = {"ko"}}, 2);
  // alice cannot serve high-ko; of what she can serve, high comes before low.
  EXPECT_THAT(pairs(available("alice", 3, {{kChat, 1}})), ElementsAre("high -> alice"));
  EXPECT_THAT(pairs(available("bob", 4, {{kChat, 2}}, {"ko"})),
              ElementsAre("high-ko -> bob", "low -> bob"));
}

// --- Presence ----------------------------------------------------------------------------------

TEST_F(DispatchEngineTest, AwayAndOfflineAgentsGetNothing) {
  presence("alice", v1::PRESENCE_AWAY, 0);
  presence("bob", v1::PRESENCE_OFFLINE, 0);
  EXPECT_THAT(work({.id = "w1"}, 1).assignments, IsEmpty());
  EXPECT_EQ(engine_.agentCount(v1::PRESENCE_AWAY), 1u);
  EXPECT_EQ(engine_.agentCount(v1::PRESENCE_OFFLINE), 1u);
  EXPECT_EQ(engine_.agentCount(v1::PRESENCE_AVAILABLE), 0u);
  EXPECT_EQ(engine_.agentCount(), 2u);

  EXPECT_THAT(pairs(available("bob", 2, {{kChat, 2}})), ElementsAre("w1 -> bob"));
  presence("bob", v1::PRESENCE_AWAY, 3);  // keeps w1 in hand, takes nothing new
  EXPECT_THAT(work({.id = "w2", .enqueued = 4}, 4).assignments, IsEmpty());
  EXPECT_THAT(activeOf("bob"), ElementsAre("w1"));
  // Completing while away frees the slot but assigns nothing.
  EXPECT_THAT(complete("bob", "w1", 5).assignments, IsEmpty());
  EXPECT_EQ(toTimePoint(engine_.agent("bob")->idle_since()), at(5));
  presence("bob", v1::PRESENCE_OFFLINE, 6);
  EXPECT_EQ(engine_.agentCount(v1::PRESENCE_OFFLINE), 1u);
  EXPECT_EQ(engine_.agentCount(v1::PRESENCE_AWAY), 1u);
  EXPECT_EQ(engine_.queueDepth(), 1u);
}

// --- Ignored and duplicate input ---------------------------------------------------------------

TEST_F(DispatchEngineTest, DuplicateWorkItemsAreIgnored) {
  work({.id = "w1"}, 0);
  Outcome queued_again = work({.id = "w1"}, 1);
  EXPECT_TRUE(queued_again.duplicate());
  EXPECT_EQ(queued_again.reason, reason::kDuplicateWorkItem);
  EXPECT_THAT(queued_again.queued, IsEmpty());
  EXPECT_EQ(engine_.queueDepth(), 1u);

  available("alice", 2);
  Outcome in_hand_again = work({.id = "w1"}, 3);
  EXPECT_TRUE(in_hand_again.duplicate());
  EXPECT_EQ(in_hand_again.detail, "work item 'w1' is in hand of agent 'alice'");
  EXPECT_EQ(engine_.queueDepth(), 0u);

  complete("alice", "w1", 4);
  EXPECT_TRUE(engine_.remembersFinished("w1"));
  Outcome finished_again = work({.id = "w1"}, 5);
  EXPECT_TRUE(finished_again.duplicate());
  EXPECT_THAT(finished_again.assignments, IsEmpty());
  EXPECT_THAT(finished_again.changed_agents, IsEmpty());
  EXPECT_EQ(engine_.queueDepth(), 0u);
}

TEST(DispatchEngineFinishedMemoryTest, RemembersABoundedNumberOfFinishedItems) {
  DispatchEngine engine(kPool, {.finished_memory = 2});
  engine.onAgentEvent(makePresence({.agent = "alice"}), at(0));
  for (int i = 1; i <= 2; ++i) {
    const std::string id = "w" + std::to_string(i);
    engine.onWorkItem(makeWork({.id = id}), at(i));
    Outcome done = engine.onAgentEvent(makeCompleted("alice", id), at(i));
    EXPECT_THAT(done.forgotten, IsEmpty());
  }
  engine.onWorkItem(makeWork({.id = "w3"}), at(3));
  Outcome done = engine.onAgentEvent(makeCompleted("alice", "w3"), at(3));
  EXPECT_THAT(done.forgotten, ElementsAre("w1"));
  ASSERT_EQ(done.finished.size(), 1u);
  EXPECT_EQ(done.finished[0].work_item_id(), "w3");
  EXPECT_EQ(done.finished[0].sequence(), 3u);
  EXPECT_EQ(toTimePoint(done.finished[0].finished_at()), at(3));
  EXPECT_EQ(engine.finishedCount(), 2u);
  EXPECT_FALSE(engine.remembersFinished("w1"));
  EXPECT_TRUE(engine.onWorkItem(makeWork({.id = "w2"}), at(4)).duplicate());
  // Forgotten: a late copy of w1 is work again.
  EXPECT_THAT(pairs(engine.onWorkItem(makeWork({.id = "w1"}), at(4))), ElementsAre("w1 -> alice"));
}

TEST_F(DispatchEngineTest, EventsForAnotherPoolAreIgnored) {
  Outcome agent = engine_.onAgentEvent(makePresence({.agent = "alice", .pool = "sales"}), at(0));
  EXPECT_TRUE(agent.ignored());
  EXPECT_EQ(agent.reason, reason::kOtherPool);
  EXPECT_THAT(agent.changed_agents, IsEmpty());
  EXPECT_EQ(engine_.agent("alice"), nullptr);

  Outcome item = engine_.onWorkItem(makeWork({.id = "w1", .pool = "sales"}), at(0));
  EXPECT_TRUE(item.ignored());
  EXPECT_EQ(item.reason, reason::kOtherPool);
  EXPECT_THAT(item.queued, IsEmpty());
  EXPECT_EQ(engine_.queueDepth(), 0u);
}

TEST_F(DispatchEngineTest, UnusableAgentEventsAreIgnoredWithTheirReason) {
  available("alice", 0);
  work({.id = "w1"}, 1);

  v1::AgentEvent accepted;
  accepted.set_agent_id("alice");
  accepted.set_pool_id(kPool);
  accepted.mutable_accepted()->set_work_item_id("w1");
  v1::AgentEvent rejected = accepted;
  rejected.mutable_rejected()->set_work_item_id("w1");
  v1::AgentEvent empty = accepted;
  empty.clear_event();
  v1::AgentEvent no_agent = makeCompleted("", "w1");

  const std::vector<std::pair<v1::AgentEvent, std::string_view>> cases = {
      {accepted, reason::kOfferEventUnused},
      {rejected, reason::kOfferEventUnused},
      {empty, reason::kNoEvent},
      {no_agent, reason::kMissingId},
      {makeCompleted("nobody", "w1"), reason::kUnknownAgent},
      {makeCompleted("alice", "w-unknown"), reason::kUnknownWorkItem},
      {makeCompleted("alice", ""), reason::kMissingId},
      {makePresence({.agent = "alice", .presence = v1::PRESENCE_UNSPECIFIED}),
       reason::kUnspecifiedPresence},
  };
  for (const auto& [event, why] : cases) {
    Outcome out = engine_.onAgentEvent(event, at(2));
    EXPECT_TRUE(out.ignored()) << why;
    EXPECT_EQ(out.reason, why);
    EXPECT_FALSE(out.detail.empty());
    EXPECT_THAT(out.changed_agents, IsEmpty()) << why;
    EXPECT_THAT(out.finished, IsEmpty()) << why;
  }
  EXPECT_THAT(activeOf("alice"), ElementsAre("w1"));
  EXPECT_EQ(engine_.agentCount(), 1u);
}

TEST_F(DispatchEngineTest, CompletionByAnotherAgentIsIgnored) {
  available("alice", 0);
  available("bob", 1);
  work({.id = "w1"}, 2);  // alice
  Outcome out = complete("bob", "w1", 3);
  EXPECT_TRUE(out.ignored());
  EXPECT_EQ(out.reason, reason::kUnknownWorkItem);
  EXPECT_THAT(activeOf("alice"), ElementsAre("w1"));
}

// --- Restore -----------------------------------------------------------------------------------

TEST_F(DispatchEngineTest, RestoredEngineMakesTheSameNextDecision) {
  available("alice", 0, {{kChat, 2}}, {"ko"});
  available("bob", 1, {{kChat, 1}, {kEmail, 1}});
  available("carol", 2);
  presence("dave", v1::PRESENCE_AWAY, 2);
  work({.id = "w1", .enqueued = 3}, 3);                                   // alice
  work({.id = "w2", .enqueued = 4}, 4);                                   // bob
  work({.id = "w3", .enqueued = 5}, 5);                                   // carol
  work({.id = "w4", .enqueued = 6}, 6);                                   // alice
  work({.id = "w5", .priority = 2, .enqueued = 7}, 7);                    // waits
  work({.id = "w6", .priority = 2, .enqueued = 7, .skills = {"ko"}}, 7);  // waits
  work({.id = "w7", .channel = kSms, .priority = 9, .enqueued = 1, .skills = {"fr"}}, 8);
  complete("carol", "w3", 9);  // carol takes w5: nobody has "fr", carol lacks "ko"
  ASSERT_EQ(engine_.queueDepth(), 2u);

  DispatchEngine restored(kPool);
  for (const char* id : {"alice", "bob", "carol", "dave"}) {
    ASSERT_TRUE(restored.restoreAgent(*engine_.agent(id))) << id;
  }
  for (const char* id : {"w6", "w7"}) {
    ASSERT_TRUE(restored.restoreQueued(*engine_.queuedItem(id))) << id;
  }
  Outcome rebalanced;
  restored.rebalance(at(10), rebalanced);
  EXPECT_THAT(rebalanced.assignments, IsEmpty());
  EXPECT_EQ(restored.queueDepth(), 2u);
  EXPECT_EQ(restored.oldestEnqueuedAt(), engine_.oldestEnqueuedAt());
  EXPECT_EQ(restored.agentCount(v1::PRESENCE_AVAILABLE), 3u);
  EXPECT_EQ(restored.agentCount(v1::PRESENCE_AWAY), 1u);

  // Restoring the same record twice, or another pool's, is refused.
  EXPECT_FALSE(restored.restoreAgent(*engine_.agent("alice")));
  EXPECT_FALSE(restored.restoreQueued(*engine_.queuedItem("w6")));
  v1::AgentState stranger = *engine_.agent("bob");
  stranger.set_pool_id("sales");
  EXPECT_FALSE(restored.restoreAgent(stranger));

  auto same = [&](const Outcome& a, const Outcome& b) {
    ASSERT_EQ(a.assignments.size(), b.assignments.size());
    for (size_t i = 0; i < a.assignments.size(); ++i) {
      EXPECT_EQ(a.assignments[i].SerializeAsString(), b.assignments[i].SerializeAsString());
    }
    EXPECT_EQ(a.changed_agents, b.changed_agents);
    EXPECT_EQ(a.dequeued, b.dequeued);
  };
  const v1::AgentEvent next = makeCompleted("alice", "w1");
  const Outcome original = engine_.onAgentEvent(next, at(11));
  const Outcome again = restored.onAgentEvent(next, at(11));
  EXPECT_THAT(pairs(original), ElementsAre("w6 -> alice"));
  same(original, again);
  const v1::WorkItem chat = makeWork({.id = "w8", .enqueued = 12});
  same(engine_.onWorkItem(chat, at(12)), restored.onWorkItem(chat, at(12)));
}

TEST_F(DispatchEngineTest, RebalanceMatchesRestoredStateThatWasNotMatched) {
  DispatchEngine restored(kPool);
  v1::AgentState alice;
  alice.set_agent_id("alice");
  alice.set_pool_id(kPool);
  alice.set_presence(v1::PRESENCE_AVAILABLE);
  setTimestamp(alice.mutable_idle_since(), at(0));
  ASSERT_TRUE(restored.restoreAgent(alice));
  ASSERT_TRUE(restored.restoreQueued(makeWork({.id = "low", .priority = 0, .enqueued = 0})));
  ASSERT_TRUE(restored.restoreQueued(makeWork({.id = "high", .priority = 3, .enqueued = 1})));
  Outcome out;
  restored.rebalance(at(5), out);
  EXPECT_THAT(pairs(out), ElementsAre("high -> alice"));
  EXPECT_THAT(out.dequeued, ElementsAre("high"));
  EXPECT_EQ(out.assignments[0].envelope().causation_id(), "");
}

TEST_F(DispatchEngineTest, RestoredFinishedItemsStayDuplicates) {
  DispatchEngine restored(kPool, {.finished_memory = 2});
  v1::FinishedWork finished;
  finished.set_work_item_id("w1");
  finished.set_pool_id(kPool);
  finished.set_sequence(7);
  ASSERT_TRUE(restored.restoreFinished(finished));
  EXPECT_FALSE(restored.restoreFinished(finished));
  EXPECT_TRUE(restored.onWorkItem(makeWork({.id = "w1"}), at(0)).duplicate());
  // Sequences continue after the restored ones.
  restored.onAgentEvent(makePresence({.agent = "alice"}), at(1));
  restored.onWorkItem(makeWork({.id = "w2"}), at(1));
  Outcome done = restored.onAgentEvent(makeCompleted("alice", "w2"), at(2));
  ASSERT_EQ(done.finished.size(), 1u);
  EXPECT_EQ(done.finished[0].sequence(), 8u);
}

}  // namespace
}  // namespace switchboard::dispatch
