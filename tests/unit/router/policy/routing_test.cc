// Decisions from the worked example: queue selection in file order, SLA deadlines in and out
// of business hours, effective priority with VIP and SLA-risk boosts, overflow at its exact
// boundaries, the order of a queue with ties, and the attributes of a WorkItem.
#include "router/policy/routing.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "router/policy/work_attributes.h"
#include "tests/unit/router/policy/policy_test_util.h"

namespace switchboard::policy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using testing::Attrs;
using testing::utc;

class PolicyRouting : public ::testing::Test {
 protected:
  const Queue& queue(std::string_view name) const {
    const Queue* q = policy_.findQueue(name);
    EXPECT_NE(q, nullptr) << name;
    return *q;
  }
  std::string selected(const Attributes& attrs) const {
    const Queue* q = selectQueue(policy_, attrs);
    return q ? q->name : "(none)";
  }
  std::vector<std::string> pools(std::string_view name, nanoseconds waited) const {
    const auto span = eligiblePools(queue(name), waited);
    return {span.begin(), span.end()};
  }

  Policy policy_ = testing::examplePolicy();
};

TEST_F(PolicyRouting, FirstMatchingQueueInFileOrder) {
  EXPECT_EQ(selected(Attrs{{"channel", "chat"}, {"language", "ko"}, {"tier", "vip"}}),
            "vip-korean-chat");
  // Korean but not VIP, or VIP but not Korean: the general chat queue (second in the file).
  EXPECT_EQ(selected(Attrs{{"channel", "chat"}, {"language", "ko"}}), "chat");
  EXPECT_EQ(selected(Attrs{{"channel", "chat"}, {"language", "en"}, {"tier", "vip"}}), "chat");
  EXPECT_EQ(selected(Attrs{{"channel", "instagram"}}), "social");
  EXPECT_EQ(selected(Attrs{{"channel", "x"}, {"tier", "vip"}}), "social");
  EXPECT_EQ(selected(Attrs{{"channel", "email"}, {"language", "ko"}, {"tier", "vip"}}), "email");
  // Nothing else matches SMS: the catch-all without a filter takes it.
  EXPECT_EQ(selected(Attrs{{"channel", "sms"}}), "catch-all");
  EXPECT_EQ(selected(Attrs{}), "catch-all");

  Policy no_catch_all = testing::examplePolicy();
  no_catch_all.queues.pop_back();
  EXPECT_EQ(selectQueue(no_catch_all, Attrs{{"channel", "sms"}}), nullptr);
}

TEST_F(PolicyRouting, SlaTargetsFallBackFromQueueToDefaultsToBuiltIn) {
  EXPECT_EQ(slaTarget(policy_, queue("vip-korean-chat"), v1::CHANNEL_CHAT), seconds(60));
  EXPECT_EQ(slaTarget(policy_, queue("chat"), v1::CHANNEL_CHAT), minutes(2));  // defaults
  EXPECT_EQ(slaTarget(policy_, queue("email"), v1::CHANNEL_EMAIL), hours(8));
  EXPECT_EQ(slaTarget(policy_, queue("social"), v1::CHANNEL_INSTAGRAM), hours(1));
  EXPECT_EQ(slaTarget(policy_, queue("catch-all"), v1::CHANNEL_SMS), hours(1));  // built-in
  EXPECT_EQ(slaTarget(policy_, queue("catch-all"), v1::CHANNEL_VOICE), minutes(1));
}

TEST_F(PolicyRouting, SlaDeadlineInAndOutOfBusinessHours) {
  // Seoul desk, Monday 2026-01-05 10:00 KST (01:00Z): open, 60 s target.
  const TimePoint open_arrival = utc(2026, 1, 5, 1, 0);
  SlaDeadline d = slaDeadline(policy_, queue("vip-korean-chat"), v1::CHANNEL_CHAT, open_arrival);
  EXPECT_EQ(d.at, open_arrival + seconds(60));
  EXPECT_FALSE(d.after_hours);
  // 19:00 KST (10:00Z): closed, the after-hours target of 10 minutes applies.
  const TimePoint late = utc(2026, 1, 5, 10, 0);
  d = slaDeadline(policy_, queue("vip-korean-chat"), v1::CHANNEL_CHAT, late);
  EXPECT_EQ(d.at, late + minutes(10));
  EXPECT_TRUE(d.after_hours);
  // Exactly at closing (18:00 KST = 09:00Z) it is already after hours; a minute before not.
  EXPECT_TRUE(
      slaDeadline(policy_, queue("vip-korean-chat"), v1::CHANNEL_CHAT, utc(2026, 1, 5, 9, 0))
          .after_hours);
  EXPECT_FALSE(
      slaDeadline(policy_, queue("vip-korean-chat"), v1::CHANNEL_CHAT, utc(2026, 1, 5, 8, 59))
          .after_hours);

  // New York email queue, no after-hours target for email: the clock starts at the next
  // opening. Sunday 2026-01-11 15:00Z (10:00 EST, closed) → Monday 08:00 EST (13:00Z) + 8 h.
  d = slaDeadline(policy_, queue("email"), v1::CHANNEL_EMAIL, utc(2026, 1, 11, 15, 0));
  EXPECT_EQ(d.at, utc(2026, 1, 12, 13, 0) + hours(8));
  EXPECT_TRUE(d.after_hours);
  // Saturday 15:00 EST (20:00Z) is within Saturday hours.
  d = slaDeadline(policy_, queue("email"), v1::CHANNEL_EMAIL, utc(2026, 1, 10, 20, 0));
  EXPECT_EQ(d.at, utc(2026, 1, 11, 4, 0));
  EXPECT_FALSE(d.after_hours);
  // Social after hours: 4 h.
  d = slaDeadline(policy_, queue("social"), v1::CHANNEL_MESSENGER, utc(2026, 1, 11, 15, 0));
  EXPECT_EQ(d.at, utc(2026, 1, 11, 19, 0));
  EXPECT_TRUE(d.after_hours);
  // A queue without a calendar is always open.
  d = slaDeadline(policy_, queue("catch-all"), v1::CHANNEL_SMS, utc(2026, 1, 11, 15, 0));
  EXPECT_EQ(d.at, utc(2026, 1, 11, 16, 0));
  EXPECT_FALSE(d.after_hours);
}

TEST_F(PolicyRouting, EffectivePriorityAddsVipAndSlaRiskBoosts) {
  const Queue& chat = queue("chat");
  const TimePoint deadline = utc(2026, 1, 5, 14, 2);
  const Attrs vip{{"channel", "chat"}, {"tier", "vip"}};
  const Attrs standard{{"channel", "chat"}, {"tier", "standard"}};
  const TimePoint early = deadline - minutes(1);
  EXPECT_EQ(effectivePriority(chat, standard, deadline, early).value, 50);
  const EffectivePriority p = effectivePriority(chat, vip, deadline, early);
  EXPECT_EQ(p.value, 80);
  EXPECT_EQ(p.boosts, 30);
  EXPECT_FALSE(p.at_risk);
  // The SLA-risk boost (+20) starts exactly 30 s before the deadline.
  EXPECT_EQ(slaRiskStartsAt(chat, deadline), deadline - seconds(30));
  const EffectivePriority before =
      effectivePriority(chat, vip, deadline, deadline - seconds(30) - nanoseconds(1));
  EXPECT_FALSE(before.at_risk);
  EXPECT_EQ(before.value, 80);
  const EffectivePriority at = effectivePriority(chat, vip, deadline, deadline - seconds(30));
  EXPECT_TRUE(at.at_risk);
  EXPECT_EQ(at.value, 100);
  EXPECT_EQ(effectivePriority(chat, standard, deadline, deadline + hours(1)).value, 70);
  // A queue without sla_risk never gets it.
  EXPECT_EQ(slaRiskStartsAt(queue("catch-all"), deadline), std::nullopt);
  EXPECT_FALSE(effectivePriority(queue("catch-all"), vip, deadline, deadline + hours(1)).at_risk);
}

TEST_F(PolicyRouting, EffectivePriorityClampsToInt32) {
  Queue q;
  q.priority = 1'000'000;
  for (int i = 0; i < 3000; ++i) q.boosts.push_back({Filter(), 1'000'000});
  const EffectivePriority p = effectivePriority(q, Attrs{}, TimePoint{}, TimePoint{});
  EXPECT_EQ(p.value, std::numeric_limits<int32_t>::max());
  EXPECT_EQ(p.boosts, std::numeric_limits<int32_t>::max());
}

TEST_F(PolicyRouting, OverflowStepsAtExactBoundaries) {
  const std::string q = "vip-korean-chat";
  EXPECT_EQ(pools(q, seconds(0)), (std::vector<std::string>{"korean-vip"}));
  EXPECT_EQ(pools(q, seconds(90) - nanoseconds(1)), (std::vector<std::string>{"korean-vip"}));
  EXPECT_EQ(pools(q, seconds(90)), (std::vector<std::string>{"korean-vip", "tier2"}));
  EXPECT_EQ(pools(q, minutes(3) - nanoseconds(1)),
            (std::vector<std::string>{"korean-vip", "tier2"}));
  EXPECT_EQ(pools(q, minutes(3)), (std::vector<std::string>{"korean-vip", "tier2", "outsourced"}));
  EXPECT_EQ(pools(q, hours(100)), (std::vector<std::string>{"korean-vip", "tier2", "outsourced"}));
  EXPECT_EQ(overflowStepsInForce(queue(q), seconds(89)), 0u);
  EXPECT_EQ(overflowStepsInForce(queue(q), seconds(90)), 1u);
  EXPECT_EQ(overflowStepsInForce(queue(q), seconds(180)), 2u);
  EXPECT_EQ(nextOverflowAt(queue(q), seconds(0)), seconds(90));
  EXPECT_EQ(nextOverflowAt(queue(q), seconds(90)), seconds(180));
  EXPECT_EQ(nextOverflowAt(queue(q), seconds(180)), std::nullopt);
  EXPECT_EQ(pools("catch-all", hours(1)), (std::vector<std::string>{"tier1"}));
  EXPECT_EQ(nextOverflowAt(queue("catch-all"), seconds(0)), std::nullopt);
}

TEST_F(PolicyRouting, QueueOrderPriorityThenAgeThenDeadlineThenId) {
  const TimePoint t0 = utc(2026, 1, 5, 12, 0);
  std::vector<QueueRankKey> keys = {
      {50, t0 + seconds(5), t0 + minutes(2), "e"},
      {80, t0 + seconds(9), t0 + minutes(2), "b"},  // VIP: overtakes older items
      {50, t0, t0 + minutes(9), "d"},               // same priority, older
      {50, t0, t0 + minutes(1), "c"},               // same age, earlier deadline
      {50, t0 + seconds(5), t0 + minutes(2), "f"},  // full tie with "e": by id
      {100, t0 + seconds(30), t0 + minutes(2), "a"},
  };
  std::sort(keys.begin(), keys.end());
  std::string order;
  for (const QueueRankKey& k : keys) order += k.id;
  EXPECT_EQ(order, "abcdef");
  // Strict weak order: a key is never before itself.
  EXPECT_FALSE(keys[0] < keys[0]);
}

// The table of docs/routing-policy.md, row by row.
TEST_F(PolicyRouting, TheDocumentedExampleTable) {
  struct Row {
    std::vector<std::pair<std::string, std::string>> attributes;
    v1::Channel channel;
    TimePoint arrival;
    std::string queue;
    TimePoint deadline;
    bool after_hours;
    int32_t priority;       // at arrival
    int32_t priority_late;  // one second before the deadline
  };
  const TimePoint seoul_monday_10 = utc(2026, 1, 5, 1, 0);
  const TimePoint seoul_monday_19 = utc(2026, 1, 5, 10, 0);
  const TimePoint ny_monday_9 = utc(2026, 1, 5, 14, 0);
  const TimePoint ny_sunday = utc(2026, 1, 11, 15, 0);
  const std::vector<Row> rows = {
      {{{"channel", "chat"}, {"language", "ko"}, {"tier", "vip"}},
       v1::CHANNEL_CHAT,
       seoul_monday_10,
       "vip-korean-chat",
       seoul_monday_10 + seconds(60),
       false,
       100,
       150},
      {{{"channel", "chat"}, {"language", "ko"}, {"tier", "vip"}},
       v1::CHANNEL_CHAT,
       seoul_monday_19,
       "vip-korean-chat",
       seoul_monday_19 + minutes(10),
       true,
       100,
       150},
      {{{"channel", "chat"}, {"language", "en"}, {"tier", "vip"}},
       v1::CHANNEL_CHAT,
       ny_monday_9,
       "chat",
       ny_monday_9 + minutes(2),
       false,
       80,
       100},
      {{{"channel", "email"}},
       v1::CHANNEL_EMAIL,
       ny_sunday,
       "email",
       utc(2026, 1, 12, 13, 0) + hours(8),
       true,
       10,
       10},
      {{{"channel", "email"}, {"tier", "vip"}},
       v1::CHANNEL_EMAIL,
       ny_sunday,
       "email",
       utc(2026, 1, 12, 13, 0) + hours(8),
       true,
       40,
       40},
      {{{"channel", "instagram"}},
       v1::CHANNEL_INSTAGRAM,
       ny_sunday,
       "social",
       ny_sunday + hours(4),
       true,
       30,
       30},
      {{{"channel", "sms"}},
       v1::CHANNEL_SMS,
       ny_sunday,
       "catch-all",
       ny_sunday + hours(1),
       false,
       0,
       0},
  };
  for (const Row& row : rows) {
    std::vector<FlatAttributes::Entry> entries;
    for (const auto& [k, v] : row.attributes) entries.emplace_back(k, v);
    const FlatAttributes attrs(entries);
    const Queue* q = selectQueue(policy_, attrs);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->name, row.queue);
    const SlaDeadline d = slaDeadline(policy_, *q, row.channel, row.arrival);
    EXPECT_EQ(d.at, row.deadline) << row.queue;
    EXPECT_EQ(d.after_hours, row.after_hours) << row.queue;
    EXPECT_EQ(effectivePriority(*q, attrs, d.at, row.arrival).value, row.priority) << row.queue;
    EXPECT_EQ(effectivePriority(*q, attrs, d.at, d.at - seconds(1)).value, row.priority_late)
        << row.queue;
  }
  EXPECT_EQ(pools("email", hours(4)), (std::vector<std::string>{"tier1", "outsourced"}));
  EXPECT_EQ(pools("social", minutes(30)), (std::vector<std::string>{"tier1", "outsourced"}));
  EXPECT_EQ(pools("chat", minutes(3)), (std::vector<std::string>{"tier1", "tier2", "outsourced"}));
}

TEST_F(PolicyRouting, WorkItemAttributesFeedTheFilters) {
  v1::WorkItem item;
  item.set_channel(v1::CHANNEL_CHAT);
  item.set_tier("vip");
  item.mutable_message()->set_language("ko");
  item.mutable_message()->set_provider("webchat");
  (*item.mutable_message()->mutable_attributes())["page"] = "/pricing";
  (*item.mutable_message()->mutable_attributes())["tier"] = "ignored";
  const WorkItemAttributes attrs(item);
  EXPECT_EQ(attrs.find("channel"), "chat");
  EXPECT_EQ(attrs.find("tier"), "vip");
  EXPECT_EQ(attrs.find("language"), "ko");  // from the message when the item has none
  EXPECT_EQ(attrs.find("provider"), "webchat");
  EXPECT_EQ(attrs.find("page"), "/pricing");
  EXPECT_EQ(attrs.find("customer_id"), std::nullopt);
  EXPECT_EQ(attrs.find("nope"), std::nullopt);
  EXPECT_EQ(selectQueue(policy_, attrs)->name, "vip-korean-chat");
  item.set_language("en");  // the item's own language wins
  EXPECT_EQ(selectQueue(policy_, attrs)->name, "chat");
  item.set_channel(v1::CHANNEL_UNSPECIFIED);
  EXPECT_EQ(attrs.find("channel"), std::nullopt);
  EXPECT_EQ(selectQueue(policy_, attrs)->name, "catch-all");
}

}  // namespace
}  // namespace switchboard::policy
