#include "router/dispatch/dispatch_engine.h"

#include <algorithm>
#include <utility>

namespace switchboard::dispatch {
namespace {

bool isRoutablePresence(v1::Presence presence) {
  return presence == v1::PRESENCE_AVAILABLE || presence == v1::PRESENCE_AWAY ||
         presence == v1::PRESENCE_OFFLINE;
}

// Whole seconds, for human-readable details.
std::string secondsText(int64_t nanos) {
  return std::to_string(nanos / 1'000'000'000) + "s";
}

}  // namespace

void Outcome::clear() {
  disposition = Disposition::kApplied;
  reason = {};
  detail.clear();
  assignments.clear();
  changed_agents.clear();
  queued.clear();
  dequeued.clear();
  finished.clear();
  forgotten.clear();
}

DispatchEngine::DispatchEngine(std::string pool_id, Options options)
    : pool_id_(std::move(pool_id)), options_(options) {
  options_.finished_memory = std::max<size_t>(options_.finished_memory, 1);
}

// ---------------------------------------------------------------------------------------------
// Inputs

Outcome DispatchEngine::onAgentEvent(const v1::AgentEvent& event, TimePoint now) {
  Outcome out;
  onAgentEvent(event, now, out);
  return out;
}

Outcome DispatchEngine::onWorkItem(v1::WorkItem item, TimePoint now) {
  Outcome out;
  onWorkItem(std::move(item), now, out);
  return out;
}

void DispatchEngine::onAgentEvent(const v1::AgentEvent& event, TimePoint now, Outcome& out) {
  out.clear();
  if (event.pool_id() != pool_id_) {
    return setDisposition(out, Disposition::kIgnored, reason::kOtherPool,
                          "agent event for pool '" + event.pool_id() + "'");
  }
  if (event.agent_id().empty()) {
    return setDisposition(out, Disposition::kIgnored, reason::kMissingId,
                          "agent event without agent_id");
  }
  switch (event.event_case()) {
    case v1::AgentEvent::kPresence: return applyPresence(event, now, out);
    case v1::AgentEvent::kCompleted: return applyCompleted(event, now, out);
    case v1::AgentEvent::kAccepted:
    case v1::AgentEvent::kRejected:
      return setDisposition(out, Disposition::kIgnored, reason::kOfferEventUnused,
                            "offer accept/reject has no effect: work is assigned, not offered");
    case v1::AgentEvent::EVENT_NOT_SET: break;
  }
  setDisposition(out, Disposition::kIgnored, reason::kNoEvent, "agent event without an event");
}

void DispatchEngine::onWorkItem(v1::WorkItem item, TimePoint now, Outcome& out) {
  out.clear();
  if (item.pool_id() != pool_id_) {
    return setDisposition(out, Disposition::kIgnored, reason::kOtherPool,
                          "work item for pool '" + item.pool_id() + "'");
  }
  const std::string& id = item.work_item_id();
  if (id.empty()) {
    return setDisposition(out, Disposition::kIgnored, reason::kMissingId,
                          "work item without work_item_id");
  }
  if (queued_.find(std::string_view(id)) != queued_.end()) {
    return setDisposition(out, Disposition::kDuplicate, reason::kDuplicateWorkItem,
                          "work item '" + id + "' is already queued");
  }
  if (auto holder = active_.find(std::string_view(id)); holder != active_.end()) {
    return setDisposition(
        out, Disposition::kDuplicate, reason::kDuplicateWorkItem,
        "work item '" + id + "' is in hand of agent '" + std::string(holder->second->id) + "'");
  }
  if (remembersFinished(id)) {
    return setDisposition(out, Disposition::kDuplicate, reason::kDuplicateWorkItem,
                          "work item '" + id + "' was finished recently");
  }
  // Aging and time-to-assign count from enqueued_at; without one, the queue entry starts now.
  if (!isSet(item.enqueued_at())) setTimestamp(item.mutable_enqueued_at(), now);
  const std::string cause = item.envelope().event_id();
  QueuedEntry& entry = enqueue(std::move(item), /*attempt=*/1);
  out.queued.emplace_back(entry.rank.id);
  matchItem(entry, now, cause, out);
}

void DispatchEngine::applyPresence(const v1::AgentEvent& event, TimePoint now, Outcome& out) {
  const v1::PresenceChanged& change = event.presence();
  if (!isRoutablePresence(change.presence())) {
    return setDisposition(out, Disposition::kIgnored, reason::kUnspecifiedPresence,
                          "presence event without a presence for agent '" + event.agent_id() + "'");
  }
  AgentRecord* agent = nullptr;
  if (auto it = agents_.find(std::string_view(event.agent_id())); it != agents_.end()) {
    agent = &it->second;
  } else {
    v1::AgentState fresh;
    fresh.set_agent_id(event.agent_id());
    fresh.set_pool_id(pool_id_);
    agent = &insertAgent(std::move(fresh));
  }
  unlist(*agent);
  v1::AgentState& state = agent->state;
  // proto3 cannot tell an empty list from an absent one: empty keeps what is known.
  if (!change.capacities().empty()) {
    *state.mutable_capacities() = change.capacities();
    rebuildSlots(*agent);
  }
  if (!change.skills().empty()) {
    *state.mutable_skills() = change.skills();
    agent->skills = skill_sets_.intern(state.skills());
  }
  if (!change.display_name().empty()) state.set_display_name(change.display_name());
  const bool was_available = state.presence() == v1::PRESENCE_AVAILABLE;
  countPresence(state.presence(), -1);
  state.set_presence(change.presence());
  countPresence(state.presence(), +1);
  // Back from a break (or new) with nothing in hand: idle from now, so that a returning agent
  // does not jump ahead of colleagues who have been waiting for work.
  if (state.presence() == v1::PRESENCE_AVAILABLE && !was_available && agent->active == 0) {
    setTimestamp(state.mutable_idle_since(), now);
  }
  list(*agent);
  noteChangedAgent(out, agent->id);
  matchAgent(*agent, now, event.envelope().event_id(), out);
}

void DispatchEngine::applyCompleted(const v1::AgentEvent& event, TimePoint now, Outcome& out) {
  const std::string& work_item_id = event.completed().work_item_id();
  if (work_item_id.empty()) {
    return setDisposition(out, Disposition::kIgnored, reason::kMissingId,
                          "completion without work_item_id");
  }
  auto it = agents_.find(std::string_view(event.agent_id()));
  if (it == agents_.end()) {
    return setDisposition(out, Disposition::kIgnored, reason::kUnknownAgent,
                          "completion from unknown agent '" + event.agent_id() + "'");
  }
  AgentRecord& agent = it->second;
  auto* items = agent.state.mutable_active_work_items();
  const auto held = std::find_if(items->begin(), items->end(), [&](const v1::ActiveWork& w) {
    return w.work_item_id() == work_item_id;
  });
  if (held == items->end()) {
    return setDisposition(
        out, Disposition::kIgnored, reason::kUnknownWorkItem,
        "agent '" + event.agent_id() + "' holds no work item '" + work_item_id + "'");
  }
  unlist(agent);
  const ChannelKey channel = held->channel();
  items->erase(held);
  --agent.active;
  for (ChannelSlot& slot : agent.slots) {
    if (slot.channel == channel && slot.used > 0) {
      --slot.used;
      break;
    }
  }
  if (auto holder = active_.find(std::string_view(work_item_id)); holder != active_.end()) {
    active_.erase(holder);
  }
  if (agent.active == 0) setTimestamp(agent.state.mutable_idle_since(), now);
  list(agent);
  noteChangedAgent(out, agent.id);
  rememberFinished(work_item_id, now, out);
  matchAgent(agent, now, event.envelope().event_id(), out);
}

void DispatchEngine::setDisposition(Outcome& out, Disposition disposition, std::string_view why,
                                    std::string detail) {
  out.disposition = disposition;
  out.reason = why;
  out.detail = std::move(detail);
}

// ---------------------------------------------------------------------------------------------
// Restore

bool DispatchEngine::restoreAgent(v1::AgentState state) {
  if (state.pool_id() != pool_id_ || state.agent_id().empty() ||
      agents_.find(std::string_view(state.agent_id())) != agents_.end()) {
    return false;
  }
  insertAgent(std::move(state));
  return true;
}

bool DispatchEngine::restoreQueued(v1::WorkItem item) {
  const std::string_view id = item.work_item_id();
  if (item.pool_id() != pool_id_ || id.empty() || queued_.find(id) != queued_.end() ||
      active_.find(id) != active_.end()) {
    return false;
  }
  enqueue(std::move(item), /*attempt=*/1);
  return true;
}

bool DispatchEngine::restoreFinished(const v1::FinishedWork& finished) {
  const std::string& id = finished.work_item_id();
  if (finished.pool_id() != pool_id_ || id.empty() || remembersFinished(id) ||
      finished_by_sequence_.count(finished.sequence()) != 0) {
    return false;
  }
  finished_.emplace(id, finished.sequence());
  finished_by_sequence_.emplace(finished.sequence(), id);
  next_finished_sequence_ = std::max(next_finished_sequence_, finished.sequence() + 1);
  return true;
}

void DispatchEngine::rebalance(TimePoint now, Outcome& out) {
  out.clear();
  std::vector<QueueRank> order;
  order.reserve(queued_.size());
  for (auto& [id, entry] : queued_) order.push_back(entry.rank);
  std::sort(order.begin(), order.end());
  // matchItem() erases only the entry it serves, so the other entries stay valid.
  for (const QueueRank& rank : order) matchItem(*rank.entry, now, {}, out);
}

// ---------------------------------------------------------------------------------------------
// Reads

const v1::AgentState* DispatchEngine::agent(std::string_view agent_id) const {
  auto it = agents_.find(agent_id);
  return it == agents_.end() ? nullptr : &it->second.state;
}

const v1::WorkItem* DispatchEngine::queuedItem(std::string_view work_item_id) const {
  auto it = queued_.find(work_item_id);
  return it == queued_.end() ? nullptr : &it->second.item;
}

std::optional<TimePoint> DispatchEngine::oldestEnqueuedAt() const {
  if (queued_by_age_.empty()) return std::nullopt;
  return TimePoint(std::chrono::duration_cast<Clock::duration>(
      std::chrono::nanoseconds(queued_by_age_.begin()->first)));
}

size_t DispatchEngine::agentCount(v1::Presence presence) const {
  const auto index = static_cast<size_t>(presence);
  return index < presence_counts_.size() ? presence_counts_[index] : 0;
}

bool DispatchEngine::remembersFinished(std::string_view work_item_id) const {
  return finished_.find(work_item_id) != finished_.end();
}

// ---------------------------------------------------------------------------------------------
// Agents and their index

DispatchEngine::AgentRecord& DispatchEngine::insertAgent(v1::AgentState state) {
  std::string key = state.agent_id();
  auto [it, inserted] = agents_.try_emplace(std::move(key));
  AgentRecord& agent = it->second;
  agent.id = it->first;
  agent.state = std::move(state);
  agent.skills = skill_sets_.intern(agent.state.skills());
  rebuildSlots(agent);
  for (const v1::ActiveWork& work : agent.state.active_work_items()) {
    active_.emplace(work.work_item_id(), &agent);
  }
  countPresence(agent.state.presence(), +1);
  list(agent);
  return agent;
}

void DispatchEngine::rebuildSlots(AgentRecord& agent) {
  agent.slots.clear();
  for (const v1::ChannelCapacity& capacity : agent.state.capacities()) {
    const ChannelKey channel = capacity.channel();
    auto slot = std::find_if(agent.slots.begin(), agent.slots.end(),
                             [&](const ChannelSlot& s) { return s.channel == channel; });
    if (slot == agent.slots.end()) {
      agent.slots.push_back(ChannelSlot{channel, capacity.max_concurrent(), 0});
    } else {
      slot->max = capacity.max_concurrent();  // a later entry for the same channel wins
    }
  }
  agent.active = static_cast<uint32_t>(agent.state.active_work_items_size());
  for (const v1::ActiveWork& work : agent.state.active_work_items()) {
    for (ChannelSlot& slot : agent.slots) {
      if (slot.channel == work.channel()) {
        ++slot.used;
        break;
      }
    }
  }
}

bool DispatchEngine::hasFreeSlot(const AgentRecord& agent, ChannelKey channel) const {
  if (agent.slots.empty()) return agent.active == 0;
  for (const ChannelSlot& slot : agent.slots) {
    if (slot.channel == channel) return slot.used < slot.max;
  }
  return false;
}

bool DispatchEngine::hasAnyFreeSlot(const AgentRecord& agent) const {
  if (agent.slots.empty()) return agent.active == 0;
  return std::any_of(agent.slots.begin(), agent.slots.end(),
                     [](const ChannelSlot& s) { return s.used < s.max; });
}

void DispatchEngine::unlist(AgentRecord& agent) {
  for (const GroupKey& group : agent.listed_groups) {
    auto it = free_agents_.find(group);
    if (it == free_agents_.end()) continue;
    if (auto node = it->second.extract(agent.listed_rank)) spare_nodes_.push_back(std::move(node));
    // Empty groups go, so that scans only visit groups with someone free.
    if (it->second.empty()) free_agents_.erase(it);
  }
  agent.listed_groups.clear();
}

void DispatchEngine::list(AgentRecord& agent) {
  if (agent.state.presence() != v1::PRESENCE_AVAILABLE) return;
  const bool busy = agent.active > 0;
  agent.listed_rank = AgentRank{
      busy,
      busy ? toUnixNanos(agent.state.last_assigned_at()) : toUnixNanos(agent.state.idle_since()),
      agent.id, &agent};
  auto add = [&](ChannelKey channel) {
    const GroupKey group{channel, agent.skills};
    AgentSet& set = free_agents_[group];
    if (spare_nodes_.empty()) {
      set.insert(agent.listed_rank);
    } else {
      AgentSet::node_type node = std::move(spare_nodes_.back());
      spare_nodes_.pop_back();
      node.value() = agent.listed_rank;
      set.insert(std::move(node));
    }
    agent.listed_groups.push_back(group);
  };
  if (agent.slots.empty()) {
    if (agent.active == 0) add(kAnyChannel);
    return;
  }
  for (const ChannelSlot& slot : agent.slots) {
    if (slot.used < slot.max) add(slot.channel);
  }
}

void DispatchEngine::countPresence(v1::Presence presence, int delta) {
  const auto index = static_cast<size_t>(presence);
  if (index >= presence_counts_.size()) return;
  if (delta > 0) {
    ++presence_counts_[index];
  } else if (presence_counts_[index] > 0) {
    --presence_counts_[index];
  }
}

// ---------------------------------------------------------------------------------------------
// Queue

DispatchEngine::QueuedEntry& DispatchEngine::enqueue(v1::WorkItem item, uint32_t attempt) {
  std::string key = item.work_item_id();
  auto [it, inserted] = queued_.try_emplace(std::move(key));
  QueuedEntry& entry = it->second;
  entry.item = std::move(item);
  entry.attempt = attempt;
  entry.rank =
      QueueRank{entry.item.priority(), toUnixNanos(entry.item.enqueued_at()), it->first, &entry};
  entry.group = GroupKey{entry.item.channel(), skill_sets_.intern(entry.item.required_skills())};
  queue_groups_[entry.group].insert(entry.rank);
  queued_by_age_.emplace(entry.rank.enqueued_at, it->first);
  return entry;
}

void DispatchEngine::dequeue(QueuedEntry& entry) {
  if (auto group = queue_groups_.find(entry.group); group != queue_groups_.end()) {
    group->second.erase(entry.rank);
    if (group->second.empty()) queue_groups_.erase(group);
  }
  queued_by_age_.erase({entry.rank.enqueued_at, entry.rank.id});
  queued_.erase(queued_.find(entry.rank.id));  // destroys entry (and the key rank.id views)
}

// ---------------------------------------------------------------------------------------------
// Matching

DispatchEngine::Eligible DispatchEngine::eligibleAgents(const QueuedEntry& entry) const {
  Eligible result;
  AgentRank best_rank;
  auto scan = [&](ChannelKey channel) {
    for (auto it = free_agents_.lower_bound(GroupKey{channel, 0});
         it != free_agents_.end() && it->first.channel == channel; ++it) {
      const AgentSet& agents = it->second;
      if (agents.empty() || !skill_sets_.covers(it->first.skills, entry.group.skills)) continue;
      result.count += static_cast<uint32_t>(agents.size());
      const AgentRank& head = *agents.begin();
      if (result.best == nullptr || head < best_rank) {
        best_rank = head;
        result.best = head.agent;
      }
    }
  };
  scan(entry.group.channel);
  scan(kAnyChannel);  // agents with no known capacities: one item of any channel
  return result;
}

DispatchEngine::QueuedEntry* DispatchEngine::bestItemFor(const AgentRecord& agent) const {
  const QueueRank* best = nullptr;
  auto consider = [&](std::map<GroupKey, QueueSet>::const_iterator it) {
    const QueueSet& items = it->second;
    if (items.empty() || !skill_sets_.covers(agent.skills, it->first.skills)) return;
    const QueueRank& head = *items.begin();
    if (best == nullptr || head < *best) best = &head;
  };
  if (agent.slots.empty()) {
    if (agent.active != 0) return nullptr;
    for (auto it = queue_groups_.begin(); it != queue_groups_.end(); ++it) consider(it);
  } else {
    for (const ChannelSlot& slot : agent.slots) {
      if (slot.used >= slot.max) continue;
      for (auto it = queue_groups_.lower_bound(GroupKey{slot.channel, 0});
           it != queue_groups_.end() && it->first.channel == slot.channel; ++it) {
        consider(it);
      }
    }
  }
  return best == nullptr ? nullptr : best->entry;
}

void DispatchEngine::matchItem(QueuedEntry& entry, TimePoint now, std::string_view cause,
                               Outcome& out) {
  const Eligible eligible = eligibleAgents(entry);
  if (eligible.best != nullptr) assign(entry, eligible, now, cause, out);
}

// Called when `agent` may have become eligible for waiting work. Every other agent was
// already matched as far as possible, so the work this agent can take is the first queued
// item it can serve; repeat while it has free slots.
void DispatchEngine::matchAgent(AgentRecord& agent, TimePoint now, std::string_view cause,
                                Outcome& out) {
  while (agent.state.presence() == v1::PRESENCE_AVAILABLE && hasAnyFreeSlot(agent)) {
    QueuedEntry* entry = bestItemFor(agent);
    if (entry == nullptr) return;
    // Normally `agent` is the only eligible one; choosing among all keeps the rules exact
    // even if the state was not fully matched (e.g. restored from elsewhere).
    const Eligible eligible = eligibleAgents(*entry);
    if (eligible.best == nullptr) return;  // unreachable: `agent` is eligible
    assign(*entry, eligible, now, cause, out);
  }
}

void DispatchEngine::assign(QueuedEntry& entry, const Eligible& eligible, TimePoint now,
                            std::string_view cause, Outcome& out) {
  AgentRecord& agent = *eligible.best;
  const v1::WorkItem& item = entry.item;
  const std::string& work_item_id = item.work_item_id();
  const int64_t now_ns = toUnixNanos(now);

  v1::Assignment& assignment = out.assignments.emplace_back();
  assignment.set_assignment_id("asg-" + work_item_id + "-" + std::to_string(entry.attempt));
  v1::Envelope* envelope = assignment.mutable_envelope();
  envelope->set_event_id(assignment.assignment_id());
  envelope->set_trace_id(item.envelope().trace_id());
  setTimestamp(envelope->mutable_created_at(), now);
  if (item.envelope().has_received_at()) {
    *envelope->mutable_received_at() = item.envelope().received_at();
  }
  envelope->set_producer(std::string(kProducer));
  envelope->set_causation_id(std::string(cause));
  assignment.set_work_item_id(work_item_id);
  assignment.set_agent_id(agent.state.agent_id());
  assignment.set_pool_id(pool_id_);
  assignment.set_queue_id(item.queue_id());
  assignment.set_customer_id(item.customer_id());
  assignment.set_conversation_id(item.conversation_id());
  assignment.set_channel(item.channel());
  assignment.set_status(v1::ASSIGNMENT_STATUS_ASSIGNED);
  setTimestamp(assignment.mutable_decided_at(), now);

  v1::AssignmentReason* why = assignment.mutable_reason();
  why->set_strategy(std::string(kStrategyLongestIdle));
  why->set_candidate_count(eligible.count);
  setDuration(why->mutable_waited(),
              std::chrono::nanoseconds(std::max<int64_t>(0, now_ns - entry.rank.enqueued_at)));
  why->set_overflowed(false);
  std::string detail = "first of " + std::to_string(eligible.count) + " eligible agent(s): ";
  if (agent.active == 0) {
    detail += "idle for " + secondsText(now_ns - agent.listed_rank.since);
  } else {
    detail += std::to_string(agent.active) + " item(s) in hand, last assigned " +
              secondsText(now_ns - agent.listed_rank.since) + " ago";
  }
  why->set_detail(std::move(detail));

  unlist(agent);
  v1::ActiveWork* work = agent.state.add_active_work_items();
  work->set_work_item_id(work_item_id);
  work->set_channel(item.channel());
  setTimestamp(work->mutable_assigned_at(), now);
  work->set_attempt(entry.attempt);
  ++agent.active;
  for (ChannelSlot& slot : agent.slots) {
    if (slot.channel == static_cast<ChannelKey>(item.channel())) {
      ++slot.used;
      break;
    }
  }
  setTimestamp(agent.state.mutable_last_assigned_at(), now);
  list(agent);
  noteChangedAgent(out, agent.id);
  active_.emplace(work_item_id, &agent);

  // Net queue change of this call: queued and served at once persists nothing.
  if (auto added = std::find(out.queued.begin(), out.queued.end(), work_item_id);
      added != out.queued.end()) {
    out.queued.erase(added);
  } else {
    out.dequeued.push_back(work_item_id);
  }
  // Last: the item moves into the assignment (no copy), then the entry goes.
  *assignment.mutable_work_item() = std::move(entry.item);
  dequeue(entry);
}

// ---------------------------------------------------------------------------------------------
// Finished-id memory

void DispatchEngine::rememberFinished(const std::string& work_item_id, TimePoint now,
                                      Outcome& out) {
  const uint64_t sequence = next_finished_sequence_++;
  if (auto [known, inserted] = finished_.try_emplace(work_item_id, sequence); !inserted) {
    finished_by_sequence_.erase(known->second);
    known->second = sequence;
  }
  finished_by_sequence_.emplace(sequence, work_item_id);
  v1::FinishedWork& record = out.finished.emplace_back();
  record.set_work_item_id(work_item_id);
  record.set_pool_id(pool_id_);
  record.set_sequence(sequence);
  setTimestamp(record.mutable_finished_at(), now);

  while (finished_.size() > options_.finished_memory) {
    auto oldest = finished_by_sequence_.begin();
    finished_.erase(finished_.find(std::string_view(oldest->second)));
    auto added =
        std::find_if(out.finished.begin(), out.finished.end(),
                     [&](const v1::FinishedWork& f) { return f.work_item_id() == oldest->second; });
    if (added != out.finished.end()) {
      out.finished.erase(added);
    } else {
      out.forgotten.push_back(oldest->second);
    }
    finished_by_sequence_.erase(oldest);
  }
}

void DispatchEngine::noteChangedAgent(Outcome& out, std::string_view agent_id) {
  if (std::find(out.changed_agents.begin(), out.changed_agents.end(), agent_id) ==
      out.changed_agents.end()) {
    out.changed_agents.emplace_back(agent_id);
  }
}

}  // namespace switchboard::dispatch
