// Runs a StageProcessor as a member of a Kafka consumer group, effectively once: no input is
// lost and no effect is applied twice, whatever crashes or rebalances happen, without relying
// on Kafka transactions (the embedded cluster has none).
//
// One cycle, for every task (input partition) that got records:
//   1. poll a batch; skip records below the task's saved position (replays); process the rest.
//   2. save atomically in the local store: state changes + new input positions + the outputs
//      (an outbox) + the changelog batch describing all of it, as "pending".
//   3. produce the changelog batch (one record per task and cycle; a hash chain) and wait.
//   4. produce the outputs (explicit partition, deterministic `sb-id`) and wait.
//   5. save: outbox cleared, pending batch acknowledged.
//   6. commit the input offsets (advisory: positions in the store are what counts).
// A decision is durable (2) before anything leaves (3, 4), so it is never made twice.
// On assignment a task first restores: it applies changelog batches newer than its local
// store (or all of them, from the newest snapshot, when it has no local state or diverged),
// re-sends its pending batch if the changelog lacks it, and re-sends only those outbox
// outputs that are not already on their partition (found by `sb-id` from a saved mark on).
// See docs/effectively-once.md for the argument, crash point by crash point.
//
// Threading: run() owns the calling thread; stop() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/kafka/consumer.h"
#include "core/kafka/kafka_settings.h"
#include "core/kafka/partition_reader.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"
#include "core/result.h"
#include "core/stage/delivery_latch.h"
#include "core/stage/stage_probe.h"
#include "core/stage/stage_processor.h"
#include "core/stage/task.h"
#include "core/state/state_store.h"

namespace switchboard::stage {

struct StageOptions {
  std::string name;                       // "identity", "dispatch"
  std::vector<std::string> input_topics;  // co-partitioned: same partition count and keys
  std::string changelog_topic;            // partitions = input partitions
  std::string dead_letter_topic;
  std::string dead_letter_source;  // DeadLetter.source; default "stage/<name>"
  std::string group_id;            // consumer group of this stage
  std::string state_dir;           // local store of this stage in this process
  size_t max_batch = 500;
  std::chrono::milliseconds poll_timeout{100};
  std::chrono::milliseconds tick_interval{1000};
  // A snapshot batch (full state of the task) is written when this many changelog bytes were
  // written since the last one, so that restoring never needs records older than that. Keep
  // it well under the changelog's retention per partition (the embedded cluster keeps ~5 MiB).
  size_t snapshot_every_bytes = 1 << 20;
  // ...and at least this often, even on a quiet task, so that a snapshot is always younger
  // than the changelog's time retention (7 days as created by switchboard).
  std::chrono::milliseconds snapshot_max_age = std::chrono::hours(6);
  size_t max_changelog_record_bytes = 900 << 10;
  bool sync_writes = false;
  std::chrono::milliseconds kafka_timeout{10000};
  std::map<std::string, std::string> consumer_overrides;
  std::function<std::chrono::system_clock::time_point()> clock;  // default: system_clock
};

class StageRunner : private kafka::RebalanceListener {
 public:
  // `producer` is shared with the rest of the process; it must outlive the runner.
  static Result<std::unique_ptr<StageRunner>> create(const kafka::KafkaSettings& settings,
                                                     StageOptions options,
                                                     StageProcessor& processor,
                                                     kafka::Producer& producer,
                                                     metrics::MetricsRegistry& metrics);
  ~StageRunner() override;

  // Consumes and processes until stop(); then commits and leaves the group.
  Status run();
  void stop() { stopping_.store(true); }
  // True once the first assignment (possibly empty) is restored and until the runner stops.
  bool ready() const { return ready_.load(); }

 private:
  StageRunner(StageOptions options, StageProcessor& processor, kafka::Producer& producer,
              metrics::MetricsRegistry& metrics);

  // RebalanceListener
  std::vector<kafka::StartPosition> onAssigned(
      const std::vector<kafka::TopicPartition>& partitions) override;
  void onRevoked(const std::vector<kafka::TopicPartition>& partitions) override;

  Status runCycle(std::vector<kafka::MessagePtr>& batch);
  Status processRecord(const rd_kafka_message_t& message);
  void tickAll();
  // Consumer lag per owned input partition, from the watermarks librdkafka caches with each
  // fetch (no broker round trip).
  void reportLag();
  Status saveCycle(std::vector<Task*>& dirty, std::vector<std::vector<std::string>>& batches);
  Status produceChangelog(std::vector<Task*>& dirty,
                          const std::vector<std::vector<std::string>>& batches);
  Status produceOutputs(std::vector<Task*>& dirty);
  Status acknowledgeCycle(std::vector<Task*>& dirty);
  void commitPositions(const std::vector<Task*>& tasks, bool synchronous);

  // Recovery (stage_recovery.cc).
  Status openTask(int32_t partition);
  Status restoreFromChangelog(Task& task);
  Status resendPendingBatch(Task& task);
  Status recoverOutbox(Task& task);
  Status loadTask(Task& task);
  Status ensureOutputMark(Task& task, const std::string& topic, int32_t partition);
  Result<int32_t> partitionCount(const std::string& topic);
  bool waitBeforeRetry(int attempt);

  StageOptions options_;
  StageProcessor& processor_;
  kafka::Producer& producer_;
  StageProbe probe_;
  kafka::KafkaSettings settings_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::unique_ptr<kafka::PartitionReader> reader_;
  std::map<int32_t, Task> tasks_;
  std::map<std::string, int32_t> partition_counts_;
  DeliveryLatch latch_;
  std::string instance_id_;
  std::chrono::steady_clock::time_point last_tick_;
  Status assignment_error_ = okStatus();
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ready_{false};
};

}  // namespace switchboard::stage
