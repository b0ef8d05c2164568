// Hot reload: what diffPolicies() reports between two versions of the worked example, and
// that a re-selection under the new policy finds a home for work of a removed queue.
#include "router/policy/policy_diff.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "router/policy/routing.h"
#include "tests/unit/router/policy/policy_test_util.h"

namespace switchboard::policy {
namespace {

using testing::Attrs;
using Names = std::vector<std::string>;

std::string exampleText() {
  std::ifstream in(testing::testdataPath("example.yaml"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The example with `from` replaced by `to` (which must occur exactly once).
Policy edited(const std::string& from, const std::string& to) {
  std::string text = exampleText();
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << from;
  text.replace(at, from.size(), to);
  auto policy = parsePolicy(text, "edited.yaml");
  EXPECT_TRUE(policy) << policy.error().message();
  return std::move(*policy);
}

TEST(PolicyDiff, SamePolicyHasNoChanges) {
  const PolicyDiff diff = diffPolicies(testing::examplePolicy(), testing::examplePolicy());
  EXPECT_TRUE(diff.empty());
  EXPECT_FALSE(diff.affects("chat"));
}

TEST(PolicyDiff, FormattingAndCommentsAreNotChanges) {
  const Policy after =
      edited(R"(filter: 'channel == "chat"')", R"(filter: '(channel=="chat")'   # same thing)");
  EXPECT_TRUE(diffPolicies(testing::examplePolicy(), after).empty());
  EXPECT_TRUE(diffPolicies(testing::examplePolicy(),
                           edited("{after: 90s, widen_to: tier2}\n      - {after: 3m, "
                                  "widen_to: outsourced}\n    calendar: new-york",
                                  "{after: 1m30s, widen_to: tier2}\n      - {after: 180s, "
                                  "widen_to: outsourced}\n    calendar: new-york"))
                  .empty());
}

TEST(PolicyDiff, RemovedQueueIsReportedAndItsWorkFindsANewQueue) {
  const Policy before = testing::examplePolicy();
  const Policy after = edited(R"(  - name: social
    filter: 'channel in ["messenger", "instagram", "x"]')",
                              R"(  - name: social-media
    filter: 'channel in ["messenger", "instagram", "x"]')");
  const PolicyDiff diff = diffPolicies(before, after);
  EXPECT_EQ(diff.queues_removed, Names{"social"});
  EXPECT_EQ(diff.queues_added, Names{"social-media"});
  EXPECT_TRUE(diff.queues_changed.empty());
  EXPECT_FALSE(diff.queue_order_changed);
  EXPECT_TRUE(diff.affects("social"));
  EXPECT_FALSE(diff.affects("chat"));
  // The stage re-selects the queue of an item that waited in "social".
  const Queue* home = selectQueue(after, Attrs{{"channel", "instagram"}});
  ASSERT_NE(home, nullptr);
  EXPECT_EQ(home->name, "social-media");
}

TEST(PolicyDiff, ChangedQueuesPoolsCalendarsAndDefaults) {
  const Policy before = testing::examplePolicy();
  {
    const PolicyDiff diff =
        diffPolicies(before, edited("    priority: 50\n", "    priority: 60\n"));
    EXPECT_EQ(diff.queues_changed, Names{"chat"});
    EXPECT_TRUE(diff.affects("chat"));
    EXPECT_FALSE(diff.affects("email"));
  }
  {
    const PolicyDiff diff =
        diffPolicies(before, edited("      - {after: 30m, widen_to: outsourced}",
                                    "      - {after: 20m, widen_to: outsourced}"));
    EXPECT_EQ(diff.queues_changed, Names{"social"});
  }
  {
    const PolicyDiff diff =
        diffPolicies(before, edited(R"(holidays: ["2026-11-26", "2026-12-25"])",
                                    R"(holidays: ["2026-11-26", "2026-12-24", "2026-12-25"])"));
    EXPECT_EQ(diff.calendars_changed, Names{"new-york"});
    EXPECT_TRUE(diff.queues_changed.empty());
    EXPECT_EQ(diff.queues_rescheduled, (Names{"chat", "social", "email"}));
    EXPECT_TRUE(diff.affects("email"));
    EXPECT_FALSE(diff.affects("vip-korean-chat"));
  }
  {
    const PolicyDiff diff =
        diffPolicies(before, edited("    strategy: round-robin\n", "    strategy: least-busy\n"));
    EXPECT_EQ(diff.pools_changed, Names{"outsourced"});
    EXPECT_TRUE(diff.queues_changed.empty());
  }
  {
    const PolicyDiff diff = diffPolicies(
        before, edited("  reservation_timeout: 30s\n", "  reservation_timeout: 45s\n"));
    EXPECT_TRUE(diff.defaults_changed);
    EXPECT_TRUE(diff.affects("vip-korean-chat"));
  }
}

TEST(PolicyDiff, AddedAndRemovedPoolsAndQueueOrder) {
  const Policy before = testing::examplePolicy();
  Policy after = testing::examplePolicy();
  std::swap(after.queues[1], after.queues[2]);  // "social" before "chat"
  Pool night;
  night.name = "night-shift";
  night.agents = {"owl"};
  after.pools.push_back(night);
  after.pools.erase(after.pools.begin() + 2);  // tier2 (no longer referenced: edited model)
  const PolicyDiff diff = diffPolicies(before, after);
  EXPECT_TRUE(diff.queue_order_changed);
  EXPECT_EQ(diff.pools_added, Names{"night-shift"});
  EXPECT_EQ(diff.pools_removed, Names{"tier2"});
  EXPECT_TRUE(diff.queues_added.empty());
  EXPECT_TRUE(diff.queues_removed.empty());
  EXPECT_FALSE(diff.empty());
}

}  // namespace
}  // namespace switchboard::policy
