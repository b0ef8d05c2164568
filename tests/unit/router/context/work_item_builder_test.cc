#include "router/context/work_item_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "router/context/customer_ids.h"
#include "router/policy/policy_loader.h"
#include "tests/unit/router/context/context_test_util.h"

namespace switchboard::context {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::makeCustomerMessage;
using testing::Msg;
using testing::utc;

TimePoint timeOf(const google::protobuf::Timestamp& ts) {
  return fromMillis(ts.seconds() * 1000 + ts.nanos() / 1000000);
}

class WorkItemBuilderTest : public ::testing::Test {
 protected:
  // A message from a customer with `tier` and profile `language`, arriving at `arrival`.
  bool build(const policy::Policy* policy, const Msg& m, TimePoint arrival,
             const std::string& tier = "", const std::string& language = "") {
    message_ = makeCustomerMessage("c-ana", m);
    v1::CustomerContext context;
    context.set_customer_id("c-ana");
    context.mutable_profile()->set_tier(tier);
    context.mutable_profile()->set_language(language);
    return buildWorkItem(policy,
                         {.message = &message_,
                          .conversation_id = "c-ana/0123456789abcdef",
                          .context = std::move(context),
                          .arrival = arrival,
                          .created_at = arrival + std::chrono::milliseconds(5)},
                         item_);
  }

  policy::Policy example_ = policy::testing::examplePolicy();
  v1::CustomerMessage message_;
  v1::WorkItem item_;
};

TEST_F(WorkItemBuilderTest, VipKoreanChatGoesToTheKoreanVipQueue) {
  // Monday 12:00 in Seoul: the desk is open.
  const TimePoint arrival = utc(2026, 3, 9, 3, 0);
  ASSERT_TRUE(build(&example_, {.key = "chat:1", .language = "en"}, arrival, "vip", "ko"));
  EXPECT_EQ(item_.queue_id(), "vip-korean-chat");
  EXPECT_EQ(item_.pool_id(), "korean-vip");
  EXPECT_EQ(item_.domain(), "default");
  EXPECT_EQ(item_.priority(), 100);
  EXPECT_THAT(item_.required_skills(), ElementsAre("ko"));
  EXPECT_EQ(timeOf(item_.sla_deadline()), arrival + std::chrono::seconds(60));
  EXPECT_FALSE(item_.after_hours());
  EXPECT_EQ(item_.policy_version(), example_.version);
  EXPECT_EQ(item_.tier(), "vip");
  EXPECT_EQ(item_.language(), "ko");  // the profile's language before the message's
  EXPECT_EQ(timeOf(item_.enqueued_at()), arrival);

  // Ids and envelope: derived from the message, so a replay builds the same item.
  EXPECT_EQ(item_.work_item_id(), workItemIdFor(message_.message()));
  EXPECT_EQ(item_.envelope().event_id(), item_.work_item_id());
  EXPECT_EQ(item_.envelope().idempotency_key(), "chat:1");
  EXPECT_EQ(item_.envelope().causation_id(), "cm-chat:1");
  EXPECT_EQ(item_.envelope().producer(), "router/context");
  EXPECT_EQ(item_.customer_id(), "c-ana");
  EXPECT_EQ(item_.conversation_id(), "c-ana/0123456789abcdef");
  EXPECT_EQ(item_.context().customer_id(), "c-ana");
  EXPECT_EQ(item_.message().envelope().idempotency_key(), "chat:1");
  const std::string first = item_.SerializeAsString();
  ASSERT_TRUE(build(&example_, {.key = "chat:1", .language = "en"}, arrival, "vip", "ko"));
  EXPECT_EQ(item_.SerializeAsString(), first);
}

TEST_F(WorkItemBuilderTest, AfterHoursTheDeadlineUsesTheAfterHoursTarget) {
  // Monday 21:00 in Seoul: closed; after_hours_sla chat 10m.
  const TimePoint arrival = utc(2026, 3, 9, 12, 0);
  ASSERT_TRUE(build(&example_, {.key = "chat:2", .language = "ko"}, arrival, "vip"));
  EXPECT_EQ(item_.queue_id(), "vip-korean-chat");
  EXPECT_TRUE(item_.after_hours());
  EXPECT_EQ(timeOf(item_.sla_deadline()), arrival + std::chrono::minutes(10));
  EXPECT_EQ(item_.language(), "ko");  // no profile language: the message's
}

TEST_F(WorkItemBuilderTest, BoostsApplyAtEnqueue) {
  // Monday 11:00 in New York: the general chat desk is open.
  const TimePoint arrival = utc(2026, 3, 9, 15, 0);
  ASSERT_TRUE(build(&example_, {.key = "chat:3", .language = "en"}, arrival, "vip"));
  EXPECT_EQ(item_.queue_id(), "chat");
  EXPECT_EQ(item_.pool_id(), "tier1");
  EXPECT_EQ(item_.priority(), 80);  // 50 + vip boost 30
  EXPECT_THAT(item_.required_skills(), IsEmpty());
  EXPECT_EQ(timeOf(item_.sla_deadline()), arrival + std::chrono::minutes(2));  // defaults.sla

  ASSERT_TRUE(build(&example_, {.key = "email:1", .channel = v1::CHANNEL_EMAIL}, arrival));
  EXPECT_EQ(item_.queue_id(), "email");
  EXPECT_EQ(item_.priority(), 10);
  EXPECT_EQ(timeOf(item_.sla_deadline()), arrival + std::chrono::hours(8));
}

TEST_F(WorkItemBuilderTest, NoMatchingQueueStillMakesAWorkItemInTheDefaultDomain) {
  auto policy = policy::parsePolicy(R"(version: 1
defaults:
  sla: {email: 4h}
pools:
  - name: p
    domain: brand-a
    members:
      agents: [a]
queues:
  - name: chat
    filter: 'channel == "chat"'
    pool: p
)",
                                    "inline.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  const TimePoint arrival = utc(2026, 3, 9, 15, 0);
  ASSERT_TRUE(build(&*policy, {.key = "chat:4"}, arrival));
  EXPECT_EQ(item_.domain(), "brand-a");

  EXPECT_FALSE(build(&*policy, {.key = "email:2", .channel = v1::CHANNEL_EMAIL}, arrival));
  EXPECT_EQ(item_.queue_id(), "");
  EXPECT_EQ(item_.pool_id(), "");
  EXPECT_EQ(item_.domain(), "default");
  EXPECT_EQ(item_.policy_version(), policy->version);
  EXPECT_EQ(timeOf(item_.sla_deadline()), arrival + std::chrono::hours(4));
  EXPECT_EQ(item_.work_item_id(), workItemIdFor(message_.message()));

  // No policy loaded at all: built-in targets.
  EXPECT_FALSE(build(nullptr, {.key = "chat:5"}, arrival));
  EXPECT_EQ(item_.domain(), "default");
  EXPECT_EQ(item_.policy_version(), "");
  EXPECT_EQ(timeOf(item_.sla_deadline()), arrival + std::chrono::minutes(2));
}

TEST_F(WorkItemBuilderTest, ArrivalIsTheEnvelopesReceivedAtElseTheFallback) {
  const TimePoint received = utc(2026, 3, 9, 3, 0, 7);
  const TimePoint fallback = utc(2026, 3, 9, 4, 0);
  EXPECT_EQ(arrivalTime(testing::makeMessage({.key = "a", .received = received}), fallback),
            received);
  EXPECT_EQ(arrivalTime(testing::makeMessage({.key = "a"}), fallback), fallback);
}

}  // namespace
}  // namespace switchboard::context
