// The interface a stage (identity, context, dispatch, ...) implements to run under the
// StageRunner. The runner owns Kafka, the state store, the changelog and the effectively-once
// protocol; a processor only turns input records into state changes and outputs.
//
// A "task" is one partition number p of the stage's input topics (they are co-partitioned:
// partition p of every input topic goes to the same task). Each task has its own key space
// in the store. All calls for all tasks come from the runner's single thread.
//
// Determinism is not required: the runner saves a batch's state changes and outputs
// atomically before any output leaves, so a decision, once made durable, is never made again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "core/result.h"

namespace switchboard::stage {

// One consumed input record, valid for the duration of process().
struct InputRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  std::string_view value;
  std::string_view event_id;    // the `sb-id` header, empty when absent
  std::string_view event_type;  // the `sb-type` header, empty when absent
  std::chrono::system_clock::time_point timestamp;
};

// A record the processor wants produced. Delivered effectively once: after the batch that
// emitted it is durable, and never twice on its topic, even across crashes and failover.
struct Output {
  std::string topic;
  std::string key;
  std::string value;
  // Deterministic, unique id (carried as the `sb-id` header). Empty: the runner derives one
  // from the input position and the output's index.
  std::string event_id;
  std::string event_type;
};

// What a processor may do while handling records of one task.
class TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual int32_t partition() const = 0;
  // Read-your-writes view of the task's state (keys are private to the task).
  virtual std::optional<std::string> get(std::string_view key) = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  virtual void erase(std::string_view key) = 0;
  // Visits every key/value of the task's durable state whose key starts with `prefix`
  // (pending writes of the current batch are not visited). For open().
  virtual void scan(
      std::string_view prefix,
      const std::function<void(std::string_view key, std::string_view value)>& visit) = 0;
  virtual void emit(Output output) = 0;
  // Input that cannot be processed (undecodable, invalid): the runner dead-letters it raw
  // with this reason and counts it, then moves on.
  virtual void reject(std::string_view reason, std::string_view detail) = 0;
  // The runner's notion of now (injectable in tests).
  virtual std::chrono::system_clock::time_point now() const = 0;
};

class StageProcessor {
 public:
  virtual ~StageProcessor() = default;
  // Called when task `ctx.partition()` is assigned, after its state was restored. Load any
  // in-memory caches from ctx.scan(). Emitting here is allowed (e.g. expired timers).
  virtual void open(TaskContext& ctx) = 0;
  virtual void process(const InputRecord& record, TaskContext& ctx) = 0;
  // Called every StageOptions::tick_interval (checked after each poll) so that timers fire.
  virtual void tick(TaskContext& ctx) { (void)ctx; }
  // The task moved away or the runner stops: drop caches for this partition.
  virtual void close(int32_t partition) = 0;
};

}  // namespace switchboard::stage
