// PolicyHolder and PolicyView: readers see each replacement once, in order, paired with its own
// generation, and keep the policy they had for diffing.
#include "router/reload/policy_holder.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::router {
namespace {

PolicyPtr policyVersion(std::string version) {
  auto policy = std::make_shared<policy::Policy>();
  policy->version = std::move(version);
  return policy;
}

TEST(PolicyHolder, ReplaceBumpsTheGeneration) {
  PolicyHolder holder(policyVersion("v1"));
  EXPECT_EQ(holder.generation(), 1u);
  EXPECT_EQ(holder.current()->version, "v1");
  holder.replace(policyVersion("v2"));
  EXPECT_EQ(holder.generation(), 2u);
  EXPECT_EQ(holder.current()->version, "v2");
  PolicyHolder::Snapshot snapshot = holder.snapshot();
  EXPECT_EQ(snapshot.generation, 2u);
  EXPECT_EQ(snapshot.policy->version, "v2");
}

TEST(PolicyView, RefreshReturnsThePreviousPolicyOncePerChange) {
  PolicyHolder holder(policyVersion("v1"));
  PolicyView view(holder);
  EXPECT_EQ(view.policy().version, "v1");
  EXPECT_EQ(view.refresh(), nullptr);

  holder.replace(policyVersion("v2"));
  EXPECT_EQ(view.policy().version, "v1");  // until the reader refreshes
  PolicyPtr before = view.refresh();
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before->version, "v1");
  EXPECT_EQ(view.policy().version, "v2");
  EXPECT_EQ(view.generation(), 2u);
  EXPECT_EQ(view.refresh(), nullptr);

  // Two replacements between refreshes: one step, from the oldest held to the newest.
  holder.replace(policyVersion("v3"));
  holder.replace(policyVersion("v4"));
  before = view.refresh();
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before->version, "v2");
  EXPECT_EQ(view.policy().version, "v4");

  // Re-publishing the same object is no change for the reader.
  holder.replace(view.shared());
  EXPECT_EQ(view.refresh(), nullptr);
  EXPECT_EQ(view.generation(), holder.generation());
}

TEST(PolicyView, ReadersOnOtherThreadsSeeVersionsInOrder) {
  constexpr int kVersions = 2000;
  PolicyHolder holder(policyVersion("0"));
  std::atomic<bool> failed{false};
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      PolicyView view(holder);  // may start after some (or all) replacements
      int last = std::stoi(view.policy().version);
      while (!done.load(std::memory_order_acquire) || view.generation() != holder.generation()) {
        view.refresh();
        // Generation g carries version g - 1: never torn, never backwards.
        const int seen = std::stoi(view.policy().version);
        if (seen < last || static_cast<uint64_t>(seen) + 1 != view.generation()) failed = true;
        last = seen;
      }
      if (last != kVersions) failed = true;
    });
  }
  for (int v = 1; v <= kVersions; ++v) holder.replace(policyVersion(std::to_string(v)));
  done.store(true, std::memory_order_release);
  for (std::thread& reader : readers) reader.join();
  EXPECT_FALSE(failed.load());
}

}  // namespace
}  // namespace switchboard::router
