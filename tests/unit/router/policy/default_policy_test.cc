// The built-in policy: it loads, and it routes as Switchboard did before routing policies (one
// pool of every agent, longest idle, every item in one queue, no offer step).
#include "router/policy/default_policy.h"

#include <gtest/gtest.h>

#include "router/policy/policy_loader.h"
#include "router/policy/routing.h"
#include "tests/unit/router/policy/policy_test_util.h"

namespace switchboard::policy {
namespace {

TEST(DefaultPolicy, OnePoolOfEveryAgentAndOneCatchAllQueue) {
  const Policy policy = defaultPolicy();
  EXPECT_EQ(policy.source, "<built-in>");
  EXPECT_EQ(policy.version, policyContentVersion(defaultPolicyYaml()));
  EXPECT_EQ(policy.domains, (std::vector<std::string>{"default"}));
  ASSERT_EQ(policy.pools.size(), 1u);
  const Pool& pool = policy.pools[0];
  EXPECT_EQ(pool.name, "default");
  EXPECT_EQ(pool.domain, "default");
  EXPECT_TRUE(pool.everyone);
  EXPECT_EQ(pool.strategy, Strategy::kLongestIdle);
  const std::vector<std::string> no_skills;
  EXPECT_TRUE(pool.admits("anyone-at-all", no_skills));
  ASSERT_EQ(policy.queues.size(), 1u);
  EXPECT_EQ(policy.queues[0].name, "default");
  EXPECT_EQ(policy.queues[0].pool, "default");
  EXPECT_TRUE(policy.queues[0].overflow.empty());
  EXPECT_FALSE(policy.queues[0].calendar_index.has_value());
}

TEST(DefaultPolicy, AssignsWithoutAnOfferStep) {
  EXPECT_EQ(defaultPolicy().defaults.reservation_timeout, std::chrono::seconds(0));
}

TEST(DefaultPolicy, EveryItemJoinsTheDefaultQueueWithBuiltInTargets) {
  const Policy policy = defaultPolicy();
  const testing::Attrs sms{{"channel", "sms"}};
  const testing::Attrs nothing{};
  for (const Attributes* attrs : {&sms.get(), &nothing.get()}) {
    const Queue* queue = selectQueue(policy, *attrs);
    ASSERT_NE(queue, nullptr);
    EXPECT_EQ(queue->name, "default");
    EXPECT_EQ(policy.domainOf(queue), "default");
  }
  const Queue& queue = policy.queues[0];
  EXPECT_EQ(slaTarget(policy, queue, v1::CHANNEL_CHAT), std::chrono::minutes(2));
  EXPECT_EQ(slaTarget(policy, queue, v1::CHANNEL_EMAIL), std::chrono::hours(24));
}

}  // namespace
}  // namespace switchboard::policy
