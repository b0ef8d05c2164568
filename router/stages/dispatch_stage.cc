#include "router/stages/dispatch_stage.h"

#include <climits>
#include <utility>

#include "core/log.h"
#include "router/policy/default_policy.h"
#include "router/stages/dispatch_state_keys.h"
#include "switchboard/v1/agent_event.pb.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::router {
namespace {

constexpr std::string_view kLogComponent = "router/dispatch";
constexpr std::string_view kDefaultDomain = "default";

bool parseRecord(google::protobuf::MessageLite& message, std::string_view bytes) {
  return bytes.size() <= static_cast<size_t>(INT_MAX) &&
         message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

std::string_view domainOf(const std::string& domain) {
  return domain.empty() ? kDefaultDomain : std::string_view(domain);
}

void warnSkipped(std::string_view what, std::string_view key) {
  log::warn(kLogComponent,
            "open: skipping " + std::string(what) + " record '" + std::string(key) + "'");
}

// Appends field 13 (Assignment.work_item, length-delimited) holding `item_bytes`: the same
// bytes as serializing an Assignment whose work_item was set, without copying the WorkItem.
void appendWorkItemField(std::string& assignment_bytes, const std::string& item_bytes) {
  assignment_bytes.push_back(static_cast<char>((13 << 3) | 2));
  uint64_t length = item_bytes.size();
  while (length >= 0x80) {
    assignment_bytes.push_back(static_cast<char>((length & 0x7f) | 0x80));
    length >>= 7;
  }
  assignment_bytes.push_back(static_cast<char>(length));
  assignment_bytes.append(item_bytes);
}

}  // namespace

DispatchStage::DispatchStage(Topics topics, metrics::MetricsRegistry& registry,
                             PolicySource current_policy, Options options)
    : topics_(std::move(topics)),
      probe_(registry),
      current_policy_(std::move(current_policy)),
      options_(options) {}

std::vector<std::string> DispatchStage::inputTopics() const {
  return {topics_.work_items, topics_.agent_events};
}

std::shared_ptr<const policy::Policy> DispatchStage::currentPolicy() {
  std::shared_ptr<const policy::Policy> current;
  if (current_policy_) current = current_policy_();
  if (current) return current;
  if (!fallback_policy_) {
    fallback_policy_ = std::make_shared<const policy::Policy>(policy::defaultPolicy());
  }
  return fallback_policy_;
}

void DispatchStage::open(stage::TaskContext& ctx) {
  const int32_t partition = ctx.partition();
  tasks_[partition].clear();
  // The ids restored per domain, to fill the probe's mirror from the engines once restored.
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>, std::less<>>
      restored_ids;

  // Agents first: work records name their holders.
  ctx.scan(kAgentKeyPrefix, [&](std::string_view key, std::string_view value) {
    v1::AgentState state;
    if (!parseRecord(state, value) ||
        key != agentStateKey(domainOf(state.domain()), state.agent_id())) {
      return warnSkipped("corrupt or legacy agent", key);
    }
    const std::string domain(domainOf(state.domain()));
    if (!engineFor(ctx, domain).restoreAgent(state)) {
      return warnSkipped("duplicate or invalid agent", key);
    }
    restored_ids[domain].first.push_back(state.agent_id());
  });
  ctx.scan(kWorkKeyPrefix, [&](std::string_view key, std::string_view value) {
    v1::WorkState state;
    if (!parseRecord(state, value) ||
        key != workStateKey(domainOf(state.item().domain()), state.item().work_item_id())) {
      return warnSkipped("corrupt work", key);
    }
    const std::string domain(domainOf(state.item().domain()));
    std::string id = state.item().work_item_id();
    if (!engineFor(ctx, domain).restoreWork(std::move(state))) {
      return warnSkipped("duplicate or invalid work", key);
    }
    restored_ids[domain].second.push_back(std::move(id));
  });
  ctx.scan(kDoneKeyPrefix, [&](std::string_view key, std::string_view value) {
    v1::FinishedWork finished;
    if (!parseRecord(finished, value) ||
        key != finishedItemKey(domainOf(finished.domain()), finished.work_item_id())) {
      return warnSkipped("corrupt or legacy finished item", key);
    }
    if (!engineFor(ctx, domainOf(finished.domain())).restoreFinished(finished)) {
      warnSkipped("duplicate or invalid finished item", key);
    }
  });

  // Fires what came due while the task was away (lapsed offers, overflow) and matches.
  for (auto& [domain, engine] : tasks_[partition]) {
    engine->restored(ctx.now(), outcome_);
    // The mirror starts from the restored state (the engine may have re-selected queues);
    // apply() then passes on what restored() changed.
    probe_.domainReset(domain);
    if (auto ids = restored_ids.find(domain); ids != restored_ids.end()) {
      for (const std::string& id : ids->second.first) {
        if (engine->agentState(id, agent_state_)) probe_.agentChanged(domain, agent_state_);
      }
      for (const std::string& id : ids->second.second) {
        if (engine->workState(id, work_state_)) probe_.workChanged(domain, work_state_);
      }
    }
    apply(*engine, ctx);
    probe_.domainObserved(*engine, ctx.now());
  }
}

void DispatchStage::process(const stage::InputRecord& record, stage::TaskContext& ctx) {
  if (record.topic == topics_.work_items) return processWorkItem(record, ctx);
  if (record.topic == topics_.agent_events) return processAgentEvent(record, ctx);
  ctx.reject(kRejectUnexpectedTopic,
             "dispatch does not consume topic '" + std::string(record.topic) + "'");
}

void DispatchStage::processWorkItem(const stage::InputRecord& record, stage::TaskContext& ctx) {
  // Parsed into a reused message: the engine swaps in a recycled WorkItem, whose strings the
  // next parse reuses.
  v1::WorkItem& item = work_item_;
  if (!parseRecord(item, record.value)) {
    return ctx.reject(kRejectUndecodable, "value is not a switchboard.v1.WorkItem");
  }
  if (item.work_item_id().empty()) {
    return ctx.reject(kRejectInvalid, "work item without work_item_id");
  }
  // One domain must live in one partition, or two engines would hand out the same agents.
  const std::string_view domain = domainOf(item.domain());
  if (record.key != domain) {
    return ctx.reject(kRejectInvalid, "record key '" + std::string(record.key) +
                                          "' is not the work item's domain '" +
                                          std::string(domain) + "'");
  }
  dispatch::DispatchEngine& engine = engineFor(ctx, domain);
  engine.onWorkItem(std::move(item), ctx.now(), outcome_);
  apply(engine, ctx);
}

void DispatchStage::processAgentEvent(const stage::InputRecord& record, stage::TaskContext& ctx) {
  v1::AgentEvent event;
  if (!parseRecord(event, record.value)) {
    return ctx.reject(kRejectUndecodable, "value is not a switchboard.v1.AgentEvent");
  }
  if (event.agent_id().empty()) {
    return ctx.reject(kRejectInvalid, "agent event without agent_id");
  }
  const std::string_view domain = domainOf(event.domain());
  if (record.key != domain) {
    return ctx.reject(kRejectInvalid, "record key '" + std::string(record.key) +
                                          "' is not the agent event's domain '" +
                                          std::string(domain) + "'");
  }
  dispatch::DispatchEngine& engine = engineFor(ctx, domain);
  engine.onAgentEvent(event, ctx.now(), outcome_);
  apply(engine, ctx);
}

void DispatchStage::tick(stage::TaskContext& ctx) {
  auto task = tasks_.find(ctx.partition());
  if (task == tasks_.end()) return;
  for (const auto& [domain, engine] : task->second) {
    syncPolicy(*engine, ctx);
    engine->tick(ctx.now(), outcome_);
    apply(*engine, ctx);
    probe_.domainObserved(*engine, ctx.now());
  }
}

void DispatchStage::close(int32_t partition) {
  auto task = tasks_.find(partition);
  if (task == tasks_.end()) return;
  for (const auto& [domain, engine] : task->second) probe_.domainClosed(domain);
  tasks_.erase(task);
}

const dispatch::DispatchEngine* DispatchStage::engine(int32_t partition,
                                                      std::string_view domain) const {
  auto task = tasks_.find(partition);
  if (task == tasks_.end()) return nullptr;
  auto it = task->second.find(domain);
  return it == task->second.end() ? nullptr : it->second.get();
}

dispatch::DispatchEngine& DispatchStage::engineFor(stage::TaskContext& ctx,
                                                   std::string_view domain) {
  Engines& engines = tasks_[ctx.partition()];
  auto it = engines.find(domain);
  if (it == engines.end()) {
    it = engines
             .emplace(std::string(domain),
                      std::make_unique<dispatch::DispatchEngine>(std::string(domain),
                                                                 currentPolicy(), options_.engine))
             .first;
    return *it->second;
  }
  syncPolicy(*it->second, ctx);
  return *it->second;
}

void DispatchStage::syncPolicy(dispatch::DispatchEngine& engine, stage::TaskContext& ctx) {
  std::shared_ptr<const policy::Policy> current = currentPolicy();
  if (current == engine.policy()) return;
  log::info(kLogComponent, "domain '" + engine.domain() + "' task " +
                               std::to_string(ctx.partition()) + ": routing policy version " +
                               current->version);
  engine.setPolicy(std::move(current), ctx.now(), outcome_);
  apply(engine, ctx);
  if (const size_t stranded = engine.strandedCount(); stranded > 0) {
    log::warn(kLogComponent, "domain '" + engine.domain() + "': " + std::to_string(stranded) +
                                 " queued item(s) have no queue or pool in this domain under "
                                 "the new policy; they are kept");
  }
}

void DispatchStage::apply(dispatch::DispatchEngine& engine, stage::TaskContext& ctx) {
  const dispatch::Outcome& out = outcome_;
  const std::string& domain = engine.domain();
  if (out.disposition != dispatch::Disposition::kApplied) {
    probe_.inputIgnored(out.reason);
    if (log::enabled(log::Level::kDebug)) {
      log::debug(kLogComponent, "ignored (" + std::string(out.reason) + "): " + out.detail);
    }
  }
  for (std::string_view agent_id : out.changed_agents) {
    if (engine.agentState(agent_id, agent_state_)) {
      agent_state_.SerializeToString(&buffer_);
      ctx.put(agentStateKey(domain, agent_id), buffer_);
      probe_.agentChanged(domain, agent_state_);
    }
  }
  for (std::string_view work_item_id : out.changed_work) {
    if (engine.workState(work_item_id, work_state_)) {
      work_state_.SerializeToString(&buffer_);
      ctx.put(workStateKey(domain, work_item_id), buffer_);
      probe_.workChanged(domain, work_state_);
    }
  }
  for (std::string_view work_item_id : out.removed_work) {
    ctx.erase(workStateKey(domain, work_item_id));
    probe_.workRemoved(domain, work_item_id);
  }
  for (const dispatch::FinishedNote& note : out.finished) {
    engine.finishedWork(note, finished_);
    finished_.SerializeToString(&buffer_);
    ctx.put(finishedItemKey(domain, note.work_item_id), buffer_);
  }
  for (const std::string& work_item_id : out.forgottenIds()) {
    ctx.erase(finishedItemKey(domain, work_item_id));
  }
  for (const dispatch::Decision& decision : out.decisions) emitAssignment(engine, decision, ctx);
  for (std::string_view queue : out.widened) probe_.overflowWidened(queue);
}

void DispatchStage::emitAssignment(const dispatch::DispatchEngine& engine,
                                   const dispatch::Decision& decision, stage::TaskContext& ctx) {
  engine.buildAssignment(decision, assignment_);
  stage::Output output;
  output.topic = topics_.assignments;
  output.key = engine.domain();
  assignment_.SerializeToString(&output.value);
  engine.decisionItem(decision).SerializeToString(&item_buffer_);
  appendWorkItemField(output.value, item_buffer_);
  output.event_id = assignment_.assignment_id();
  output.event_type = std::string(kAssignmentEventType);
  ctx.emit(std::move(output));
  probe_.decided(decision);

  if (engine.buildCustomerEvent(decision, customer_event_)) {
    stage::Output event;
    event.topic = topics_.customer_events;
    event.key = customer_event_.customer_id();
    customer_event_.SerializeToString(&event.value);
    event.event_id = customer_event_.envelope().event_id();
    event.event_type = std::string(kCustomerEventType);
    ctx.emit(std::move(event));
  }
}

}  // namespace switchboard::router
