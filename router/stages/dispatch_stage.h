// DispatchStage: runs the dispatch engines under the stage runner. Its inputs are the
// work-items and agent-events topics, co-partitioned and keyed by dispatch domain (the policy
// pools' `domain`), so one task (partition) sees all of a domain's work and agents. Each task
// keeps one DispatchEngine per domain seen in that partition, created on first sight with the
// current routing policy.
//
// process() decodes a record, hands it to the domain's engine with the runner's now(),
// persists exactly what the engine reports changed (keys in dispatch_state_keys.h), emits each
// decision as an Assignment on the assignments topic (key = domain, event id = assignment_id)
// and, for ASSIGNED / APPENDED / COMPLETED, a CustomerEvent on the customer-events topic (key =
// customer id) so that the context stage learns the customer's last agent. tick() fires the
// engines' timers (offer expiry, overflow, SLA risk) and refreshes the gauges. Before each
// input and tick the policy source is asked for the current policy; a new pointer is handed to
// the task's engines (DispatchEngine::setPolicy). open() rebuilds a task's engines from its
// stored state, then fires what came due while the task was away.
// Undecodable or invalid records are rejected (the runner dead-letters them): missing ids, or
// a record key other than the domain, since a domain split over two partitions would have two
// engines handing out the same agents. Inputs the engine ignores are counted by reason.
//
// Lifecycle: constructed once per process; open/process/tick/close per task, all on the
// runner's thread.
#pragma once

#include <cstdint>
#include <functional>
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
#include "router/policy/policy.h"
#include "router/stages/dispatch_probe.h"
#include "switchboard/v1/customer_event.pb.h"
#include "switchboard/v1/router_state.pb.h"

namespace switchboard::router {

// Reasons passed to TaskContext::reject().
inline constexpr std::string_view kRejectUndecodable = "undecodable_record";
inline constexpr std::string_view kRejectInvalid = "invalid_record";
inline constexpr std::string_view kRejectUnexpectedTopic = "unexpected_topic";

inline constexpr std::string_view kAssignmentEventType = "switchboard.v1.Assignment";
inline constexpr std::string_view kCustomerEventType = "switchboard.v1.CustomerEvent";

class DispatchStage final : public stage::StageProcessor {
 public:
  // Returns the routing policy in force; called before every input and tick, so it must be
  // cheap (e.g. an atomic load). Null: the built-in policy (policy::defaultPolicy()).
  using PolicySource = std::function<std::shared_ptr<const policy::Policy>()>;
  struct Options {
    dispatch::DispatchEngine::Options engine;
  };

  DispatchStage(Topics topics, metrics::MetricsRegistry& registry, PolicySource current_policy)
      : DispatchStage(std::move(topics), registry, std::move(current_policy), Options{}) {}
  DispatchStage(Topics topics, metrics::MetricsRegistry& registry, PolicySource current_policy,
                Options options);

  // The topics to subscribe this processor to (co-partitioned).
  std::vector<std::string> inputTopics() const;

  void open(stage::TaskContext& ctx) override;
  void process(const stage::InputRecord& record, stage::TaskContext& ctx) override;
  void tick(stage::TaskContext& ctx) override;
  void close(int32_t partition) override;

  // The engine of `domain` in task `partition`, or null. For tests and diagnostics.
  const dispatch::DispatchEngine* engine(int32_t partition, std::string_view domain) const;

 private:
  using Engines = std::map<std::string, std::unique_ptr<dispatch::DispatchEngine>, std::less<>>;

  void processWorkItem(const stage::InputRecord& record, stage::TaskContext& ctx);
  void processAgentEvent(const stage::InputRecord& record, stage::TaskContext& ctx);
  std::shared_ptr<const policy::Policy> currentPolicy();
  dispatch::DispatchEngine& engineFor(stage::TaskContext& ctx, std::string_view domain);
  // Hands a new policy to the engine (persisting and publishing what it changed).
  void syncPolicy(dispatch::DispatchEngine& engine, stage::TaskContext& ctx);
  // Persists what the engine changed, emits the decisions, updates the metrics.
  void apply(dispatch::DispatchEngine& engine, stage::TaskContext& ctx);
  void emitAssignment(const dispatch::DispatchEngine& engine, const dispatch::Decision& decision,
                      stage::TaskContext& ctx);

  Topics topics_;
  DispatchProbe probe_;
  PolicySource current_policy_;
  std::shared_ptr<const policy::Policy> fallback_policy_;
  Options options_;
  std::unordered_map<int32_t, Engines> tasks_;
  dispatch::Outcome outcome_;  // reused across records
  // Scratch messages and buffers, reused.
  v1::WorkItem work_item_;
  v1::AgentState agent_state_;
  v1::WorkState work_state_;
  v1::FinishedWork finished_;
  v1::Assignment assignment_;
  v1::CustomerEvent customer_event_;
  std::string buffer_;
  std::string item_buffer_;
};

}  // namespace switchboard::router
