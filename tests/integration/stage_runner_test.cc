// The stage runner against the embedded Kafka cluster: processing, resuming without replays,
// restoring state from the changelog in a process with an empty store, dead-lettering.
#include "core/stage/stage_runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "core/kafka/embedded_cluster.h"
#include "core/kafka/producer.h"
#include "switchboard/v1/changelog.pb.h"
#include "tests/integration/support/topic_contents.h"
#include "tests/integration/support/wait.h"

namespace switchboard {
namespace {

constexpr int32_t kPartitions = 2;

// Counts records per key; emits "<key>=<count>". Rejects the value "bad".
class CountingProcessor : public stage::StageProcessor {
 public:
  void open(stage::TaskContext&) override {}
  void close(int32_t) override {}
  void process(const stage::InputRecord& r, stage::TaskContext& ctx) override {
    if (r.value == "bad") {
      ctx.reject("undecodable_record", "test rejects 'bad'");
      return;
    }
    std::string key = "count/" + std::string(r.key);
    int count = 1;
    if (auto v = ctx.get(key)) count = std::stoi(*v) + 1;
    ctx.put(key, std::to_string(count));
    ctx.emit({.topic = "out",
              .key = std::string(r.key),
              .value = std::string(r.key) + "=" + std::to_string(count)});
  }
};

// A processor that needs a while per record, so that a backlog builds up.
class SlowProcessor : public CountingProcessor {
 public:
  void process(const stage::InputRecord& r, stage::TaskContext& ctx) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    CountingProcessor::process(r, ctx);
  }
};

class StageRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = kafka::EmbeddedCluster::start();
    ASSERT_TRUE(cluster) << cluster.error().describe();
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->createTopics({{"in", kPartitions},
                                        {"out", kPartitions},
                                        {"counting.changelog", kPartitions},
                                        {"dlq", 1}}));
    settings_ = cluster_->clientSettings();
    auto producer = kafka::Producer::create(settings_, {});
    ASSERT_TRUE(producer);
    producer_ = std::move(*producer);
    root_ = std::filesystem::temp_directory_path() /
            ("sb-stage-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void produceInputs(const std::vector<std::pair<std::string, std::string>>& records) {
    for (const auto& [k, v] : records) {
      ASSERT_TRUE(producer_->produce({.topic = "in", .key = k, .value = v}, nullptr));
    }
    ASSERT_TRUE(producer_->flush(std::chrono::seconds(10)));
  }

  // Runs a runner on `state_dir` until `done` holds, then stops it cleanly.
  void runUntil(const std::string& state_dir, const std::function<bool()>& done,
                size_t snapshot_every_bytes = 1 << 20, bool slow = false) {
    CountingProcessor counting;
    SlowProcessor slow_processor;
    stage::StageProcessor& processor =
        slow ? static_cast<stage::StageProcessor&>(slow_processor) : counting;
    metrics::MetricsRegistry metrics;
    metrics_ = &metrics;
    stage::StageOptions options;
    options.name = "counting";
    options.input_topics = {"in"};
    options.changelog_topic = "counting.changelog";
    options.dead_letter_topic = "dlq";
    options.group_id = "counting";
    options.state_dir = (root_ / state_dir).string();
    options.snapshot_every_bytes = snapshot_every_bytes;
    if (snapshot_every_bytes < 1024) options.max_changelog_record_bytes = 120;
    options.max_batch = slow ? 1 : 7;  // several cycles, so several changelog batches and snapshots
    auto runner = stage::StageRunner::create(settings_, options, processor, *producer_, metrics);
    ASSERT_TRUE(runner) << runner.error().describe();
    Status result = okStatus();
    std::thread thread([&] { result = (*runner)->run(); });
    bool reached = testing::eventually(done, std::chrono::seconds(60));
    (*runner)->stop();
    thread.join();
    metrics_ = nullptr;
    ASSERT_TRUE(result) << result.error().describe();
    ASSERT_TRUE(reached);
  }

  std::map<std::string, std::vector<std::string>> outputsByKey() {
    std::map<std::string, std::vector<std::string>> by_key;
    for (const auto& r : testing::readTopic(settings_, "out", kPartitions)) {
      by_key[r.key].push_back(r.value);
    }
    return by_key;
  }

  size_t outputCount() { return testing::readTopic(settings_, "out", kPartitions).size(); }

  // The running runner's metrics, for `done` conditions (null between runs).
  metrics::MetricsRegistry* metrics_ = nullptr;
  std::unique_ptr<kafka::EmbeddedCluster> cluster_;
  kafka::KafkaSettings settings_;
  std::unique_ptr<kafka::Producer> producer_;
  std::filesystem::path root_;
};

TEST_F(StageRunnerTest, ProcessesEveryRecordOnceAndResumesWhereItStopped) {
  produceInputs({{"a", "1"}, {"b", "1"}, {"a", "2"}, {"c", "1"}, {"a", "3"}});
  runUntil("node1", [&] { return outputCount() == 5; });
  produceInputs({{"a", "4"}, {"b", "2"}});
  runUntil("node1", [&] { return outputCount() == 7; });

  auto by_key = outputsByKey();
  EXPECT_EQ(by_key["a"], (std::vector<std::string>{"a=1", "a=2", "a=3", "a=4"}));
  EXPECT_EQ(by_key["b"], (std::vector<std::string>{"b=1", "b=2"}));
  EXPECT_EQ(by_key["c"], (std::vector<std::string>{"c=1"}));
  // Every output carries a distinct deterministic id.
  std::set<std::string> ids;
  for (const auto& r : testing::readTopic(settings_, "out", kPartitions)) ids.insert(r.event_id);
  EXPECT_EQ(ids.size(), 7u);
}

TEST_F(StageRunnerTest, ReportsConsumerLagPerPartitionUntilTheBacklogIsGone) {
  std::vector<std::pair<std::string, std::string>> backlog;
  for (int i = 0; i < 24; ++i) backlog.emplace_back("k" + std::to_string(i % 4), "1");
  produceInputs(backlog);
  // Lag series of the input's partitions, by label set.
  auto lags = [&] {
    std::map<std::string, double> out;
    std::istringstream lines(metrics_->render());
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("switchboard_stage_consumer_lag_records{")) continue;
      const size_t space = line.rfind(' ');
      out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
  };
  double most = 0;
  runUntil(
      "node1",
      [&] {
        auto now = lags();
        for (const auto& [series, value] : now) most = std::max(most, value);
        bool drained = outputCount() == backlog.size() && now.size() == kPartitions;
        for (const auto& [series, value] : now) drained = drained && value == 0;
        return drained;
      },
      1 << 20, /*slow=*/true);
  // While the slow stage worked through the backlog, the gauge showed it.
  EXPECT_GT(most, 0) << "no lag seen";
  EXPECT_LE(most, static_cast<double>(backlog.size()));
}

TEST_F(StageRunnerTest, AnotherProcessRestoresStateFromTheChangelog) {
  produceInputs({{"a", "1"}, {"a", "2"}, {"b", "1"}});
  runUntil("node1", [&] { return outputCount() == 3; });
  produceInputs({{"a", "3"}, {"b", "2"}});
  // node2 has an empty local store: its counts can only come from the changelog.
  runUntil("node2", [&] { return outputCount() == 5; });

  auto by_key = outputsByKey();
  EXPECT_EQ(by_key["a"], (std::vector<std::string>{"a=1", "a=2", "a=3"}));
  EXPECT_EQ(by_key["b"], (std::vector<std::string>{"b=1", "b=2"}));
}

TEST_F(StageRunnerTest, ReturningOwnerCatchesUpWithWhatAnotherOwnerDid) {
  produceInputs({{"a", "1"}, {"b", "1"}});
  runUntil("node1", [&] { return outputCount() == 2; });
  produceInputs({{"a", "2"}, {"b", "2"}});
  runUntil("node2", [&] { return outputCount() == 4; });
  // node1's local store stops at its own last batch; the changelog continues from there.
  produceInputs({{"a", "3"}});
  runUntil("node1", [&] { return outputCount() == 5; });
  auto by_key = outputsByKey();
  EXPECT_EQ(by_key["a"], (std::vector<std::string>{"a=1", "a=2", "a=3"}));
  EXPECT_EQ(by_key["b"], (std::vector<std::string>{"b=1", "b=2"}));
}

TEST_F(StageRunnerTest, AcknowledgementsSurviveRestartsSoATakeoverResendsNothing) {
  // Each clean stop (like a revoke-and-reassign, or a kill) comes right after a cycle was
  // acknowledged locally: outbox cleared, mark moved, both due in the next changelog batch.
  produceInputs({{"a", "1"}});
  runUntil("node1", [&] { return outputCount() == 1; });
  produceInputs({{"a", "2"}});
  bool produced_third = false;
  runUntil("node1", [&] {
    // A second cycle in the same run moves the changelog's mark past the second output.
    if (!produced_third && outputCount() == 2) {
      produced_third = true;
      produceInputs({{"a", "3"}});
    }
    return outputCount() == 3;
  });
  // node2 knows only the changelog. Had it kept the first cycle's outbox (the stop lost its
  // acknowledgement), it would look for that output from the moved mark, miss it and send it
  // again.
  produceInputs({{"a", "4"}});
  runUntil("node2", [&] {
    auto by_key = outputsByKey();
    return !by_key["a"].empty() && by_key["a"].back() == "a=4";
  });
  auto records = testing::readTopic(settings_, "out", kPartitions);
  std::set<std::string> ids;
  for (const auto& r : records) ids.insert(r.event_id);
  EXPECT_EQ(records.size(), 4u);
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(outputsByKey()["a"], (std::vector<std::string>{"a=1", "a=2", "a=3", "a=4"}));
}

TEST_F(StageRunnerTest, RestoresThroughSnapshotsSplitIntoParts) {
  // Tiny thresholds: a snapshot every few cycles, each split into several records.
  std::vector<std::pair<std::string, std::string>> inputs;
  for (int i = 0; i < 60; ++i) inputs.emplace_back("k" + std::to_string(i % 9), "v");
  produceInputs(inputs);
  runUntil(
      "node1", [&] { return outputCount() == 60; }, /*snapshot_every_bytes=*/300);
  auto changelog = testing::readTopic(settings_, "counting.changelog", kPartitions);
  size_t snapshot_parts = 0;
  for (const auto& r : changelog) {
    v1::ChangelogBatch batch;
    ASSERT_TRUE(batch.ParseFromString(r.value));
    if (batch.snapshot()) ++snapshot_parts;
  }
  EXPECT_GT(snapshot_parts, 2u);

  produceInputs({{"k0", "v"}, {"k1", "v"}});
  runUntil(
      "node2", [&] { return outputCount() == 62; }, 300);
  auto by_key = outputsByKey();
  EXPECT_EQ(by_key["k0"].back(), "k0=8");  // 7 of the first 60, then one more
  EXPECT_EQ(by_key["k1"].back(), "k1=8");
}

TEST_F(StageRunnerTest, SnapshotsFollowTheChangelogNotItsOwners) {
  // Every owner here writes one small batch and hands over (a rebalance every cycle, as under
  // chaos): the distance to the newest snapshot must carry over from owner to owner, or no
  // owner ever writes enough for a snapshot and the changelog grows without one (on a broker
  // that keeps little, until a newcomer can no longer restore at all).
  constexpr size_t kSnapshotEvery = 600;  // a batch here is ~150 bytes: one snapshot in 4 owners
  for (int i = 1; i <= 6; ++i) {
    produceInputs({{"a", "v"}});
    runUntil(
        i % 2 ? "node1" : "node2", [&] { return outputCount() == static_cast<size_t>(i); },
        kSnapshotEvery);
  }
  auto changelog = testing::readTopic(settings_, "counting.changelog", kPartitions);
  size_t snapshots = 0;
  uint64_t since = 0;       // as counted by the writers, the batch before each batch
  uint64_t last_bytes = 0;  // size of the record before
  for (const auto& r : changelog) {
    v1::ChangelogBatch batch;
    ASSERT_TRUE(batch.ParseFromString(r.value));
    if (batch.snapshot()) {
      ++snapshots;
      since = 0;
      last_bytes = 0;
      continue;
    }
    if (r.partition != changelog.front().partition) continue;  // (only "a"'s partition)
    // Each owner continued the previous owner's count.
    EXPECT_EQ(batch.bytes_since_snapshot(), since + last_bytes) << "batch " << batch.batch_id();
    since = batch.bytes_since_snapshot();
    last_bytes = r.value.size();
    EXPECT_LT(since, kSnapshotEvery + 1024) << "no snapshot for too long";
  }
  EXPECT_GE(snapshots, 1u);
  // A newcomer restores through them.
  produceInputs({{"a", "v"}});
  runUntil("node3", [&] { return outputCount() == 7; });
  EXPECT_EQ(outputsByKey()["a"].back(), "a=7");
}

TEST_F(StageRunnerTest, DeadLettersWhatTheProcessorRejectsAndGoesOn) {
  produceInputs({{"a", "1"}, {"x", "bad"}, {"a", "2"}});
  runUntil("node1", [&] {
    return outputCount() == 2 && testing::readTopic(settings_, "dlq", 1).size() == 1;
  });
  auto dead = testing::readTopic(settings_, "dlq", 1);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].event_type, "switchboard.v1.DeadLetter");
  EXPECT_EQ(dead[0].key, "stage/counting");
  auto by_key = outputsByKey();
  EXPECT_EQ(by_key["a"], (std::vector<std::string>{"a=1", "a=2"}));
}

}  // namespace
}  // namespace switchboard
