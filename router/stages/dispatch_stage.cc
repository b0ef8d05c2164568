#include "router/stages/dispatch_stage.h"

#include <climits>
#include <utility>

#include "core/log.h"
#include "router/stages/dispatch_state_keys.h"
#include "switchboard/v1/agent_event.pb.h"
#include "switchboard/v1/router_state.pb.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::router {
namespace {

constexpr std::string_view kLogComponent = "router/dispatch";

bool parseRecord(google::protobuf::MessageLite& message, std::string_view bytes) {
  return bytes.size() <= static_cast<size_t>(INT_MAX) &&
         message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

std::chrono::nanoseconds toNanos(const google::protobuf::Duration& d) {
  return std::chrono::seconds(d.seconds()) + std::chrono::nanoseconds(d.nanos());
}

void warnSkipped(std::string_view what, std::string_view key) {
  log::warn(kLogComponent,
            "open: skipping " + std::string(what) + " record '" + std::string(key) + "'");
}

}  // namespace

DispatchStage::DispatchStage(Topics topics, metrics::MetricsRegistry& registry,
                             dispatch::DispatchEngine::Options engine_options)
    : topics_(std::move(topics)), probe_(registry), engine_options_(engine_options) {}

std::vector<std::string> DispatchStage::inputTopics() const {
  return {topics_.work_items, topics_.agent_events};
}

void DispatchStage::open(stage::TaskContext& ctx) {
  const int32_t partition = ctx.partition();
  tasks_[partition].clear();

  ctx.scan(kAgentKeyPrefix, [&](std::string_view key, std::string_view value) {
    v1::AgentState state;
    if (!parseRecord(state, value) || state.pool_id().empty() ||
        key != agentStateKey(state.pool_id(), state.agent_id())) {
      return warnSkipped("corrupt agent", key);
    }
    if (!engineFor(partition, state.pool_id()).restoreAgent(std::move(state))) {
      warnSkipped("duplicate or invalid agent", key);
    }
  });
  ctx.scan(kQueueKeyPrefix, [&](std::string_view key, std::string_view value) {
    v1::WorkItem item;
    if (!parseRecord(item, value) || item.pool_id().empty() ||
        key != queuedItemKey(item.pool_id(), item.work_item_id())) {
      return warnSkipped("corrupt queued item", key);
    }
    if (!engineFor(partition, item.pool_id()).restoreQueued(std::move(item))) {
      warnSkipped("duplicate or invalid queued item", key);
    }
  });
  ctx.scan(kDoneKeyPrefix, [&](std::string_view key, std::string_view value) {
    v1::FinishedWork finished;
    if (!parseRecord(finished, value) || finished.pool_id().empty() ||
        key != finishedItemKey(finished.pool_id(), finished.work_item_id())) {
      return warnSkipped("corrupt finished item", key);
    }
    if (!engineFor(partition, finished.pool_id()).restoreFinished(finished)) {
      warnSkipped("duplicate or invalid finished item", key);
    }
  });

  // State is saved after matching, so this normally assigns nothing; it repairs state that
  // was written by another version of the rules.
  for (auto& [pool_id, engine] : tasks_[partition]) {
    engine->rebalance(ctx.now(), outcome_);
    apply(*engine, ctx);
  }
}

void DispatchStage::process(const stage::InputRecord& record, stage::TaskContext& ctx) {
  if (record.topic == topics_.work_items) return processWorkItem(record, ctx);
  if (record.topic == topics_.agent_events) return processAgentEvent(record, ctx);
  ctx.reject(kRejectUnexpectedTopic,
             "dispatch does not consume topic '" + std::string(record.topic) + "'");
}

void DispatchStage::processWorkItem(const stage::InputRecord& record, stage::TaskContext& ctx) {
  v1::WorkItem item;
  if (!parseRecord(item, record.value)) {
    return ctx.reject(kRejectUndecodable, "value is not a switchboard.v1.WorkItem");
  }
  if (item.work_item_id().empty() || item.pool_id().empty()) {
    return ctx.reject(kRejectInvalid, "work item without work_item_id or pool_id");
  }
  // One pool must live in one partition, or two engines would hand out the same agents.
  if (record.key != item.pool_id()) {
    return ctx.reject(kRejectInvalid, "record key '" + std::string(record.key) +
                                          "' is not the work item's pool_id '" + item.pool_id() +
                                          "'");
  }
  dispatch::DispatchEngine& engine = engineFor(ctx.partition(), item.pool_id());
  engine.onWorkItem(std::move(item), ctx.now(), outcome_);
  apply(engine, ctx);
}

void DispatchStage::processAgentEvent(const stage::InputRecord& record, stage::TaskContext& ctx) {
  v1::AgentEvent event;
  if (!parseRecord(event, record.value)) {
    return ctx.reject(kRejectUndecodable, "value is not a switchboard.v1.AgentEvent");
  }
  if (event.agent_id().empty() || event.pool_id().empty()) {
    return ctx.reject(kRejectInvalid, "agent event without agent_id or pool_id");
  }
  if (record.key != event.pool_id()) {
    return ctx.reject(kRejectInvalid, "record key '" + std::string(record.key) +
                                          "' is not the agent event's pool_id '" + event.pool_id() +
                                          "'");
  }
  dispatch::DispatchEngine& engine = engineFor(ctx.partition(), event.pool_id());
  engine.onAgentEvent(event, ctx.now(), outcome_);
  apply(engine, ctx);
}

void DispatchStage::tick(stage::TaskContext& ctx) {
  auto task = tasks_.find(ctx.partition());
  if (task == tasks_.end()) return;
  for (const auto& [pool_id, engine] : task->second) probe_.poolObserved(*engine, ctx.now());
}

void DispatchStage::close(int32_t partition) {
  auto task = tasks_.find(partition);
  if (task == tasks_.end()) return;
  for (const auto& [pool_id, engine] : task->second) probe_.poolClosed(pool_id);
  tasks_.erase(task);
}

const dispatch::DispatchEngine* DispatchStage::engine(int32_t partition,
                                                      std::string_view pool_id) const {
  auto task = tasks_.find(partition);
  if (task == tasks_.end()) return nullptr;
  auto it = task->second.find(pool_id);
  return it == task->second.end() ? nullptr : it->second.get();
}

dispatch::DispatchEngine& DispatchStage::engineFor(int32_t partition, std::string_view pool_id) {
  Engines& engines = tasks_[partition];
  auto it = engines.find(pool_id);
  if (it == engines.end()) {
    it = engines
             .emplace(std::string(pool_id), std::make_unique<dispatch::DispatchEngine>(
                                                std::string(pool_id), engine_options_))
             .first;
  }
  return *it->second;
}

void DispatchStage::apply(dispatch::DispatchEngine& engine, stage::TaskContext& ctx) {
  const dispatch::Outcome& out = outcome_;
  const std::string& pool_id = engine.poolId();
  if (out.ignored() || out.duplicate()) {
    probe_.inputIgnored(out.reason);
    if (log::enabled(log::Level::kDebug)) {
      log::debug(kLogComponent, "ignored (" + std::string(out.reason) + "): " + out.detail);
    }
  }
  for (const std::string& agent_id : out.changed_agents) {
    if (const v1::AgentState* state = engine.agent(agent_id)) {
      state->SerializeToString(&buffer_);
      ctx.put(agentStateKey(pool_id, agent_id), buffer_);
    }
  }
  for (const std::string& work_item_id : out.queued) {
    if (const v1::WorkItem* item = engine.queuedItem(work_item_id)) {
      item->SerializeToString(&buffer_);
      ctx.put(queuedItemKey(pool_id, work_item_id), buffer_);
    }
  }
  for (const std::string& work_item_id : out.dequeued) {
    ctx.erase(queuedItemKey(pool_id, work_item_id));
  }
  for (const v1::FinishedWork& finished : out.finished) {
    finished.SerializeToString(&buffer_);
    ctx.put(finishedItemKey(pool_id, finished.work_item_id()), buffer_);
  }
  for (const std::string& work_item_id : out.forgotten) {
    ctx.erase(finishedItemKey(pool_id, work_item_id));
  }
  for (const v1::Assignment& assignment : out.assignments) {
    stage::Output output;
    output.topic = topics_.assignments;
    output.key = pool_id;
    output.value = assignment.SerializeAsString();
    output.event_id = assignment.assignment_id();
    output.event_type = std::string(kAssignmentEventType);
    ctx.emit(std::move(output));
    probe_.workAssigned(pool_id, assignment.channel(), toNanos(assignment.reason().waited()));
  }
  probe_.poolObserved(engine, ctx.now());
}

}  // namespace switchboard::router
