// A task: one partition number of a stage's co-partitioned input topics, with its key space
// in the state store, the writes and outputs of the cycle in progress, and its place in the
// changelog's hash chain. Owned and used by the StageRunner's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/stage/stage_processor.h"
#include "core/state/state_store.h"

namespace switchboard::stage {

struct TaskOutput {
  Output output;
  int32_t partition = -1;  // chosen before the batch is saved, so recovery knows where to look
};

struct Task {
  int32_t partition = 0;
  // Next offset to process per input topic (durable value plus this cycle's progress).
  std::map<std::string, int64_t, std::less<>> positions;
  // Where this task's unacknowledged outputs can be found, per (topic, partition).
  std::map<std::pair<std::string, int32_t>, int64_t> output_marks;

  // The cycle in progress.
  state::WriteSet writes;
  std::vector<TaskOutput> outputs;
  size_t records_in_cycle = 0;

  // Writes made locally outside a changelog batch (outbox cleared, marks moved), carried in
  // the next batch so that the changelog catches up. Mirrored under keys::kCarry in the store
  // (carryWrite, loadCarry): lost, they would leave the changelog with an outbox the local
  // store cleared, which a later owner would re-send from a mark already past it.
  state::WriteSet carry;

  // Changelog chain.
  std::string head;
  uint64_t seq = 0;
  int64_t changelog_next = 0;
  size_t bytes_since_snapshot = 0;
  std::chrono::steady_clock::time_point last_snapshot = std::chrono::steady_clock::now();
  // Positions restored on assignment are committed on the next cycle even if no new record
  // arrives, so that group lag reflects what is durably done.
  bool commit_pending = false;

  bool hasWork() const { return !writes.empty() || !outputs.empty(); }

  // A write applied to the local store outside a changelog batch: adds it, and its durable
  // carry entry, to `local` (which the caller writes atomically), and to `carry`.
  void carryWrite(state::WriteSet& local, const std::string& key,
                  const std::optional<std::string>& value);
  // Moves `carry` into `writes` (the cycle's batch), with deletes of the durable entries.
  void takeCarry();
  // `carry` from its durable entries, after a restart or a reassignment.
  Status loadCarry(const state::StateStore& store);
};

// The TaskContext a processor sees for one task during a cycle.
class TaskContextImpl : public TaskContext {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  TaskContextImpl(Task& task, const state::StateStore& store, const Clock& clock,
                  std::string_view stage, const std::string& dead_letter_topic,
                  const std::string& dead_letter_source)
      : task_(task),
        store_(store),
        clock_(clock),
        stage_(stage),
        dead_letter_topic_(dead_letter_topic),
        dead_letter_source_(dead_letter_source) {}

  // The input being processed, for rejects and default output ids; null while ticking.
  void setInput(const InputRecord* input) {
    input_ = input;
    output_index_ = 0;
  }

  int32_t partition() const override { return task_.partition; }
  std::optional<std::string> get(std::string_view key) override;
  void put(std::string_view key, std::string_view value) override;
  void erase(std::string_view key) override;
  void scan(std::string_view prefix,
            const std::function<void(std::string_view, std::string_view)>& visit) override;
  void emit(Output output) override;
  void reject(std::string_view reason, std::string_view detail) override;
  std::chrono::system_clock::time_point now() const override { return clock_(); }

  bool rejected() const { return rejected_; }
  const std::string& rejectReason() const { return reject_reason_; }
  void clearRejected() { rejected_ = false; }

 private:
  Task& task_;
  const state::StateStore& store_;
  const Clock& clock_;
  std::string_view stage_;
  const std::string& dead_letter_topic_;
  const std::string& dead_letter_source_;
  const InputRecord* input_ = nullptr;
  size_t output_index_ = 0;
  bool rejected_ = false;
  std::string reject_reason_;
};

}  // namespace switchboard::stage
