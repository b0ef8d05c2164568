// DispatchStage: runs the dispatch engine under the stage runner. Its inputs are the
// work-items and agent-events topics, co-partitioned and keyed by pool id, so one task
// (partition) sees all of a pool's work and agents. Each task keeps one DispatchEngine per
// pool id seen in that partition, created on first sight.
//
// process() decodes a record, feeds the pool's engine with the runner's now(), persists exactly
// what the engine reports changed (keys in dispatch_state_keys.h) and emits each Assignment on
// the assignments topic, keyed by pool id, with the assignment_id as event id. open() rebuilds
// a task's engines from its stored state. Undecodable or invalid records are rejected (the
// runner dead-letters them): missing ids, or a record key other than the pool id, since a pool
// split over two partitions would have two engines handing out the same agents. Inputs the
// engine ignores (duplicates, unknown agents ...) are counted by reason.
//
// Lifecycle: constructed once per process; open/process/close per task, all on the runner's
// thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/metrics/metrics_registry.h"
#include "core/stage/stage_processor.h"
#include "core/topics.h"
#include "router/dispatch/dispatch_engine.h"
#include "router/stages/dispatch_probe.h"

namespace switchboard::router {

// Reasons passed to TaskContext::reject().
inline constexpr std::string_view kRejectUndecodable = "undecodable_record";
inline constexpr std::string_view kRejectInvalid = "invalid_record";
inline constexpr std::string_view kRejectUnexpectedTopic = "unexpected_topic";

inline constexpr std::string_view kAssignmentEventType = "switchboard.v1.Assignment";

class DispatchStage final : public stage::StageProcessor {
 public:
  DispatchStage(Topics topics, metrics::MetricsRegistry& registry,
                dispatch::DispatchEngine::Options engine_options = {});

  // The topics to subscribe this processor to (co-partitioned).
  std::vector<std::string> inputTopics() const;

  void open(stage::TaskContext& ctx) override;
  void process(const stage::InputRecord& record, stage::TaskContext& ctx) override;
  // Refreshes the task's pool gauges (the oldest wait grows between events too).
  void tick(stage::TaskContext& ctx) override;
  void close(int32_t partition) override;

  // The engine of `pool_id` in task `partition`, or null. For tests and diagnostics.
  const dispatch::DispatchEngine* engine(int32_t partition, std::string_view pool_id) const;

 private:
  using Engines = std::map<std::string, std::unique_ptr<dispatch::DispatchEngine>, std::less<>>;

  void processWorkItem(const stage::InputRecord& record, stage::TaskContext& ctx);
  void processAgentEvent(const stage::InputRecord& record, stage::TaskContext& ctx);
  dispatch::DispatchEngine& engineFor(int32_t partition, std::string_view pool_id);
  // Persists what the engine changed, emits the assignments, updates the metrics.
  void apply(dispatch::DispatchEngine& engine, stage::TaskContext& ctx);

  Topics topics_;
  DispatchProbe probe_;
  dispatch::DispatchEngine::Options engine_options_;
  std::unordered_map<int32_t, Engines> tasks_;
  dispatch::Outcome outcome_;  // reused across records
  std::string buffer_;         // serialization scratch, reused
};

}  // namespace switchboard::router
