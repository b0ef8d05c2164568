// PolicyWatcher against a real temporary file: valid changes are applied, invalid ones are
// rejected with the old policy kept, touches and re-checks change nothing, and the metrics say
// so. checkNow() drives every check, so no test waits for the timer (except the one that tests
// the timer, which waits for a condition).
#include "router/reload/policy_watcher.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "router/policy/default_policy.h"
#include "router/policy/policy_loader.h"

namespace switchboard::router {
namespace {

using std::chrono::system_clock;

const std::string kPolicyA = R"(pools:
  - {name: tier1, members: {skills: [en]}}
queues:
  - {name: chat, filter: 'channel == "chat"', pool: tier1}
  - {name: other, pool: tier1}
)";
// kPolicyA with one queue changed and one added.
const std::string kPolicyB = R"(pools:
  - {name: tier1, members: {skills: [en]}}
queues:
  - {name: chat, filter: 'channel == "chat"', priority: 10, pool: tier1}
  - {name: email, filter: 'channel == "email"', pool: tier1}
  - {name: other, pool: tier1}
)";
// kPolicyA with an unknown pool in line 4.
const std::string kBroken = R"(pools:
  - {name: tier1, members: {skills: [en]}}
queues:
  - {name: chat, pool: tier9}
)";

double metricValue(const std::string& rendered, const std::string& series) {
  std::istringstream lines(rendered);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;  // absent
}

class PolicyWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "sb-policy-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "policy.yaml").string();
    write(kPolicyA);
    auto initial = policy::loadPolicyFile(path_);
    ASSERT_TRUE(initial) << initial.error().message();
    holder_ =
        std::make_unique<PolicyHolder>(std::make_shared<const policy::Policy>(std::move(*initial)));
  }
  void TearDown() override {
    watcher_.reset();
    std::filesystem::remove_all(dir_);
  }

  void startWatcher(std::chrono::milliseconds racy_window = std::chrono::seconds(2)) {
    watcher_ = std::make_unique<PolicyWatcher>(
        *holder_, path_, metrics_,
        PolicyWatcherOptions{.interval = std::chrono::milliseconds(0),
                             .racy_window = racy_window,
                             .now = [this] { return now_; }});
  }

  // Rewrites the file in place (same inode), as an editor saving over it does.
  void write(const std::string& text) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << text;
  }
  // Writes a new file and renames it over the old one, as kubectl's ConfigMap update does.
  void replaceFile(const std::string& text) {
    const std::string tmp = (dir_ / "policy.yaml.new").string();
    std::ofstream(tmp, std::ios::binary) << text;
    std::filesystem::rename(tmp, path_);
  }

  double metric(const std::string& series) { return metricValue(metrics_.render(), series); }
  double reloads(const std::string& outcome) {
    return metric("switchboard_policy_reloads_total{outcome=\"" + outcome + "\"}");
  }
  std::string version() { return holder_->current()->version; }

  std::filesystem::path dir_;
  std::string path_;
  metrics::MetricsRegistry metrics_;
  std::unique_ptr<PolicyHolder> holder_;
  std::unique_ptr<PolicyWatcher> watcher_;
  system_clock::time_point now_ = system_clock::time_point(std::chrono::seconds(1'700'000'000));
};

TEST_F(PolicyWatcherTest, TheFileAsLoadedAtStartIsNoChange) {
  startWatcher();
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kNotModified);
  EXPECT_EQ(holder_->generation(), 1u);
  EXPECT_EQ(reloads("applied"), 0);
  EXPECT_EQ(reloads("unchanged"), 0);
  EXPECT_EQ(reloads("rejected"), 0);
  const std::string a = policy::policyContentVersion(kPolicyA);
  EXPECT_EQ(metric("switchboard_policy_info{source=\"" + path_ + "\",version=\"" + a + "\"}"), 1);
  EXPECT_EQ(metric("switchboard_policy_last_reload_success_timestamp_seconds"), 1'700'000'000);
}

TEST_F(PolicyWatcherTest, AppliesAValidChange) {
  startWatcher();
  PolicyView reader(*holder_);
  const std::string a = policy::policyContentVersion(kPolicyA);
  const std::string b = policy::policyContentVersion(kPolicyB);
  now_ += std::chrono::seconds(60);
  write(kPolicyB);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kApplied);
  EXPECT_EQ(version(), b);
  EXPECT_EQ(holder_->generation(), 2u);
  EXPECT_NE(holder_->current()->findQueue("email"), nullptr);
  PolicyPtr before = reader.refresh();
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before->version, a);

  EXPECT_EQ(reloads("applied"), 1);
  EXPECT_EQ(reloads("rejected"), 0);
  // One info series: the old version's is gone.
  EXPECT_EQ(metric("switchboard_policy_info{source=\"" + path_ + "\",version=\"" + b + "\"}"), 1);
  EXPECT_EQ(metric("switchboard_policy_info{source=\"" + path_ + "\",version=\"" + a + "\"}"), -1);
  EXPECT_EQ(metric("switchboard_policy_last_reload_success_timestamp_seconds"), 1'700'000'060);

  // A file renamed over the old one (new inode) is seen too.
  replaceFile(kPolicyA);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kApplied);
  EXPECT_EQ(version(), a);
  EXPECT_EQ(reloads("applied"), 2);
}

TEST_F(PolicyWatcherTest, RejectsAnInvalidChangeAndKeepsTheOldPolicy) {
  startWatcher();
  const std::string a = policy::policyContentVersion(kPolicyA);
  now_ += std::chrono::seconds(60);
  write(kBroken);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kRejected);
  EXPECT_EQ(version(), a);
  EXPECT_EQ(holder_->generation(), 1u);
  EXPECT_EQ(reloads("rejected"), 1);
  EXPECT_EQ(reloads("applied"), 0);
  EXPECT_EQ(metric("switchboard_policy_info{source=\"" + path_ + "\",version=\"" + a + "\"}"), 1);
  EXPECT_EQ(metric("switchboard_policy_last_reload_success_timestamp_seconds"), 1'700'000'000);

  // Checked again without a change: not parsed again, not counted again.
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kNotModified);
  EXPECT_EQ(reloads("rejected"), 1);

  write(kPolicyB);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kApplied);
  EXPECT_EQ(version(), policy::policyContentVersion(kPolicyB));
}

TEST_F(PolicyWatcherTest, AMissingFileIsRejectedOnceAndItsReturnApplied) {
  startWatcher();
  std::filesystem::remove(path_);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kRejected);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kNotModified);
  EXPECT_EQ(reloads("rejected"), 1);
  EXPECT_EQ(version(), policy::policyContentVersion(kPolicyA));
  write(kPolicyB);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kApplied);
}

TEST_F(PolicyWatcherTest, SameContentIsUnchangedNotApplied) {
  startWatcher(std::chrono::milliseconds(0));
  replaceFile(kPolicyA);  // new inode and times, same bytes
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kUnchanged);
  EXPECT_EQ(reloads("unchanged"), 1);
  EXPECT_EQ(reloads("applied"), 0);
  EXPECT_EQ(holder_->generation(), 1u);
  // Nothing changed since: with no racy window the file is not even read.
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kNotModified);
  EXPECT_EQ(reloads("unchanged"), 1);
}

TEST_F(PolicyWatcherTest, SeesASameSizeRewriteWithinTheTimestampGranularity) {
  startWatcher();
  std::string same_size = kPolicyA;
  same_size.replace(same_size.find("other"), 5, "misc_");
  ASSERT_EQ(same_size.size(), kPolicyA.size());
  // Same inode, same size, and the mtime put back: only the ctime (coarse, often the same
  // tick) could tell. The racy window makes the watcher read a recently changed file anyway.
  const auto mtime = std::filesystem::last_write_time(path_);
  write(same_size);
  std::filesystem::last_write_time(path_, mtime);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kApplied);
  EXPECT_NE(holder_->current()->findQueue("misc_"), nullptr);
  write(kPolicyA);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kApplied);
  EXPECT_NE(holder_->current()->findQueue("other"), nullptr);
  EXPECT_EQ(watcher_->checkNow(), ReloadOutcome::kNotModified);
}

TEST_F(PolicyWatcherTest, BuiltInPolicyIsDescribedAndNeverChecked) {
  PolicyHolder holder(std::make_shared<const policy::Policy>(policy::defaultPolicy()));
  PolicyWatcher watcher(holder, "", metrics_, {.now = [this] { return now_; }});
  watcher.start();  // nothing to watch: no thread
  EXPECT_EQ(watcher.checkNow(), ReloadOutcome::kNotModified);
  EXPECT_EQ(metric("switchboard_policy_info{source=\"<built-in>\",version=\"" +
                   holder.current()->version + "\"}"),
            1);
}

TEST_F(PolicyWatcherTest, TheBackgroundThreadAppliesChanges) {
  PolicyWatcher watcher(*holder_, path_, metrics_, {.interval = std::chrono::milliseconds(5)});
  watcher.start();
  write(kPolicyB);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (holder_->generation() == 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  watcher.stop();
  EXPECT_EQ(version(), policy::policyContentVersion(kPolicyB));
}

TEST(DescribePolicyDiff, NamesEveryKindOfChange) {
  policy::PolicyDiff diff;
  EXPECT_EQ(describePolicyDiff(diff), "no routing change");
  diff.queues_added = {"email"};
  diff.queues_changed = {"chat", "social"};
  diff.queue_order_changed = true;
  diff.pools_removed = {"tier3"};
  diff.defaults_changed = true;
  EXPECT_EQ(describePolicyDiff(diff),
            "queues added [email]; queues changed [chat, social]; queue order changed; pools "
            "removed [tier3]; defaults changed");
}

TEST_F(PolicyWatcherTest, LogsTheDiffOfAnAppliedPolicy) {
  auto a = policy::parsePolicy(kPolicyA, "a");
  auto b = policy::parsePolicy(kPolicyB, "b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(describePolicyDiff(policy::diffPolicies(*a, *b)),
            "queues added [email]; queues changed [chat]");
}

}  // namespace
}  // namespace switchboard::router
