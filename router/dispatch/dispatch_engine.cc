#include "router/dispatch/dispatch_engine.h"

#include "router/dispatch/channel_capacity.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "router/policy/policy_diff.h"
#include "router/policy/work_attributes.h"

namespace switchboard::dispatch {
namespace {

static_assert(v1::Channel_ARRAYSIZE < 16, "item group keys pack the channel in 4 bits");

constexpr std::string_view kDefaultDomain = "default";

std::string_view domainOf(const std::string& domain) {
  return domain.empty() ? kDefaultDomain : std::string_view(domain);
}

bool isRoutablePresence(v1::Presence presence) {
  return presence == v1::PRESENCE_AVAILABLE || presence == v1::PRESENCE_AWAY ||
         presence == v1::PRESENCE_OFFLINE;
}

uint32_t channelIndex(v1::Channel channel) {
  const auto c = static_cast<uint32_t>(channel);
  return c < static_cast<uint32_t>(v1::Channel_ARRAYSIZE) ? c : 0;
}

TimePoint fromNanos(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

int64_t toNanos(policy::Seconds s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(s).count();
}

int32_t clampPriority(int64_t value) {
  return static_cast<int32_t>(std::clamp<int64_t>(value, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

std::string_view statusWord(v1::AssignmentStatus status) {
  switch (status) {
    case v1::ASSIGNMENT_STATUS_OFFERED: return "offered";
    case v1::ASSIGNMENT_STATUS_ASSIGNED: return "assigned";
    case v1::ASSIGNMENT_STATUS_REQUEUED: return "requeued";
    case v1::ASSIGNMENT_STATUS_COMPLETED: return "completed";
    case v1::ASSIGNMENT_STATUS_APPENDED: return "appended";
    default: return "unspecified";
  }
}

// Strategy names as static strings (entries keep views of them across policy reloads).
std::string_view staticStrategy(std::string_view name) {
  for (std::string_view known : {kStrategySticky, kStrategyTransfer, kStrategyFollowUp,
                                 policy::strategyName(policy::Strategy::kLongestIdle),
                                 policy::strategyName(policy::Strategy::kLeastBusy),
                                 policy::strategyName(policy::Strategy::kRoundRobin)}) {
    if (known == name) return known;
  }
  return {};
}

// Starts loading the first `lines` cache lines of a record.
void prefetchLines(const void* record, int lines) {
  const char* p = static_cast<const char*>(record);
  for (int i = 0; i < lines; ++i) __builtin_prefetch(p + 64 * i);
}

void setIfSet(google::protobuf::Timestamp* out, int64_t ns) {
  if (ns != 0) setTimestamp(out, fromNanos(ns));
}

}  // namespace

void Outcome::clear() {
  disposition = Disposition::kApplied;
  reason = {};
  detail.clear();
  decisions.clear();
  changed_agents.clear();
  changed_work.clear();
  removed_work.clear();
  finished.clear();
  forgotten_count = 0;
  widened.clear();
}

namespace {
void addForgotten(Outcome& out, std::string_view id) {
  if (out.forgotten_count < out.forgotten.size()) {
    out.forgotten[out.forgotten_count].assign(id);
  } else {
    out.forgotten.emplace_back(id);
  }
  ++out.forgotten_count;
}
}  // namespace

DispatchEngine::DispatchEngine(std::string domain, PolicyPtr policy, Options options)
    : domain_(std::move(domain)), policy_(std::move(policy)), options_(options) {
  // (Ring positions are handles in ids_ below kFinishedBit.)
  options_.finished_memory = std::clamp<size_t>(options_.finished_memory, 1, kFinishedBit - 1);
  finished_ring_.resize(options_.finished_memory);
  loadPolicy();
}

DispatchEngine::~DispatchEngine() = default;

void DispatchEngine::InlineId::set(std::string_view id) {
  if (id.size() > chars.size()) {
    view = id;
    return;
  }
  std::copy(id.begin(), id.end(), chars.begin());
  view = std::string_view(chars.data(), id.size());
}

// ---------------------------------------------------------------------------------------------
// Inputs

Outcome DispatchEngine::onWorkItem(v1::WorkItem item, TimePoint now) {
  Outcome out;
  onWorkItem(std::move(item), now, out);
  return out;
}

Outcome DispatchEngine::onAgentEvent(const v1::AgentEvent& event, TimePoint now) {
  Outcome out;
  onAgentEvent(event, now, out);
  return out;
}

Outcome DispatchEngine::tick(TimePoint now) {
  Outcome out;
  tick(now, out);
  return out;
}

void DispatchEngine::begin(Outcome& out) {
  out.clear();
  ++call_;
  retired_policy_.reset();
  for (uint32_t index : released_entries_) {
    entryAt(index).phase = Phase::kFree;
    free_entries_.push_back(index);
  }
  released_entries_.clear();
}

void DispatchEngine::setDisposition(Outcome& out, Disposition d, std::string_view why,
                                    std::string detail) {
  out.disposition = d;
  out.reason = why;
  out.detail = std::move(detail);
}

void DispatchEngine::tick(TimePoint now, Outcome& out) {
  begin(out);
  advance(now, out);
}

void DispatchEngine::onWorkItem(v1::WorkItem&& item, TimePoint now, Outcome& out) {
  begin(out);
  // One hash of each id for every index it goes through; the indexes' slots start loading
  // now, while the timers fire.
  const std::string& id = item.work_item_id();
  const std::string& conversation = item.conversation_id();
  const uint64_t id_hash = StringIndex::hashOf(id);
  const uint64_t conversation_hash = conversation.empty() ? 0 : StringIndex::hashOf(conversation);
  ids_.prefetch(id_hash);
  if (!conversation.empty()) conversation_index_.prefetch(conversation_hash);
  advance(now, out);
  if (domainOf(item.domain()) != domain_) {
    return setDisposition(out, Disposition::kIgnored, reason::kOtherDomain,
                          "work item for domain '" + item.domain() + "'");
  }
  if (id.empty()) {
    return setDisposition(out, Disposition::kIgnored, reason::kMissingId,
                          "work item without work_item_id");
  }
  // Held and finished ids share one index: one probe answers both (a new id, the usual case,
  // walks its probe run once). An id both held and finished (only after a restore) is held.
  if (const uint32_t known = ids_.find(id, id_hash); known != StringIndex::kNone) {
    if (!isFinished(known) || findWork(id, id_hash) != StringIndex::kNone) {
      return setDisposition(out, Disposition::kDuplicate, reason::kDuplicateWorkItem,
                            "work item '" + id + "' is queued, offered or in hand");
    }
    return setDisposition(out, Disposition::kDuplicate, reason::kDuplicateWorkItem,
                          "work item '" + id + "' was finished recently");
  }
  WorkEntry& entry = allocateEntry();
  entry.item.Swap(&item);
  v1::WorkItem& stored = entry.item;
  adoptItem(entry);
  // Aging and time-to-assign count from enqueued_at; without one, the queue entry starts now.
  if (!isSet(stored.enqueued_at())) setTimestamp(stored.mutable_enqueued_at(), now);
  entry.enqueued_ns = toUnixNanos(stored.enqueued_at());

  // A follow-up of a conversation the engine holds: no second queue entry.
  if (!stored.conversation_id().empty()) {
    const uint32_t held = conversation_index_.find(stored.conversation_id(), conversation_hash);
    if (held != StringIndex::kNone) {
      WorkEntry& first = entryAt(held);
      freeEntry(entry);
      rememberFinished(entry.id, id_hash, now, out);
      if (first.phase == Phase::kAssigned) {
        entry.agent = first.agent;
        entry.pool = first.pool;
        entry.queue = first.queue;
        entry.strategy = kStrategyFollowUp;
        entry.candidate_count = 1;
        entry.deadline_ns = toUnixNanos(stored.sla_deadline());
        entry.attempt = 1;
        decide(entry, v1::ASSIGNMENT_STATUS_APPENDED, now, stored.envelope().event_id(), out);
        return;
      }
      return setDisposition(out, Disposition::kJoined, reason::kJoinedConversation,
                            "work item '" + id + "' joins '" + first.item.work_item_id() +
                                "' of conversation '" + stored.conversation_id() + "'");
    }
  }

  entry.skills = skill_sets_.intern(stored.required_skills());
  resolveQueue(entry, now, /*recompute=*/false);
  // (A held conversation returned above: its id is not in conversation_index_.)
  indexEntry(entry, id_hash, conversation_hash, /*conversation_absent=*/true);
  enqueue(entry, toUnixNanos(now));
  noteWork(entry, out);
  matchItem(entry, now, entry.item.envelope().event_id(), out);
}

void DispatchEngine::onAgentEvent(const v1::AgentEvent& event, TimePoint now, Outcome& out) {
  begin(out);
  // The lookups' slots start loading while the timers fire.
  const uint64_t agent_hash = StringIndex::hashOf(event.agent_id());
  agent_index_.prefetch(agent_hash);
  const bool completed = event.event_case() == v1::AgentEvent::kCompleted;
  const uint64_t work_hash = completed ? StringIndex::hashOf(event.completed().work_item_id()) : 0;
  if (completed) ids_.prefetch(work_hash);
  advance(now, out);
  if (completed) {
    // The slots are in: the agent record and the work entry they lead to load together.
    agent_index_.prefetchKey(agent_hash);
    ids_.prefetchKey(work_hash);
  }
  if (domainOf(event.domain()) != domain_) {
    return setDisposition(out, Disposition::kIgnored, reason::kOtherDomain,
                          "agent event for domain '" + event.domain() + "'");
  }
  if (event.agent_id().empty()) {
    return setDisposition(out, Disposition::kIgnored, reason::kMissingId,
                          "agent event without agent_id");
  }
  switch (event.event_case()) {
    case v1::AgentEvent::kPresence: return applyPresence(event, now, out);
    case v1::AgentEvent::kCompleted: return applyCompleted(event, agent_hash, work_hash, now, out);
    case v1::AgentEvent::kAccepted: return applyAccepted(event, now, out);
    case v1::AgentEvent::kRejected: return applyRejected(event, now, out);
    case v1::AgentEvent::kTransfer: return applyTransfer(event, now, out);
    case v1::AgentEvent::EVENT_NOT_SET: break;
  }
  setDisposition(out, Disposition::kIgnored, reason::kNoEvent, "agent event without an event");
}

void DispatchEngine::applyPresence(const v1::AgentEvent& event, TimePoint now, Outcome& out) {
  const v1::PresenceChanged& change = event.presence();
  if (!isRoutablePresence(change.presence())) {
    return setDisposition(out, Disposition::kIgnored, reason::kUnspecifiedPresence,
                          "presence event without a presence for agent '" + event.agent_id() + "'");
  }
  const bool is_new = findAgent(event.agent_id()) == nullptr;
  AgentRecord& agent = agentFor(event.agent_id());
  unlist(agent);
  bool membership = is_new;
  // proto3 cannot tell an empty list from an absent one: empty keeps what is known.
  if (!change.skills().empty() && !std::equal(change.skills().begin(), change.skills().end(),
                                              agent.skill_names.begin(), agent.skill_names.end())) {
    agent.skill_names.assign(change.skills().begin(), change.skills().end());
    agent.skills = skill_sets_.intern(agent.skill_names);
    membership = true;
  }
  if (!change.capacities().empty()) {
    agent.stated.fill(std::nullopt);
    agent.stated_any = true;
    for (const v1::ChannelCapacity& capacity : change.capacities()) {
      const uint32_t c = static_cast<uint32_t>(capacity.channel());
      if (c < kChannels) agent.stated[c] = capacity.max_concurrent();  // a later entry wins
    }
  }
  if (membership) {
    recomputeMembership(agent);
  } else if (!change.capacities().empty()) {
    recomputeSlots(agent);
  }
  if (!change.display_name().empty()) agent.display_name = change.display_name();
  setPresence(agent, change.presence(), now);
  noteAgent(agent, out);
  const std::string_view causation = event.envelope().event_id();
  std::vector<WorkEntry*> requeued;  // allocates only when an offline agent had offers
  if (agent.presence == v1::PRESENCE_OFFLINE) {
    // Gone: offers go back to the queue; work in hand stays (the helpdesk still shows it to
    // the agent, who completes or transfers it when back).
    for (size_t i = 0; i < agent.holding.size();) {
      WorkEntry& entry = *agent.holding[i];
      if (entry.phase != Phase::kOffered) {
        ++i;
        continue;
      }
      takeBack(entry, cause::kAgentOffline, now, causation, out);
      requeued.push_back(&entry);
    }
  }
  list(agent);
  for (WorkEntry* entry : requeued) matchItem(*entry, now, causation, out);
  matchAgent(agent, now, causation, out);
}

DispatchEngine::WorkEntry* DispatchEngine::heldBy(const AgentRecord& agent,
                                                  std::string_view work_item_id) const {
  return heldBy(agent, work_item_id, StringIndex::hashOf(work_item_id));
}

DispatchEngine::WorkEntry* DispatchEngine::heldBy(const AgentRecord& agent,
                                                  std::string_view work_item_id,
                                                  uint64_t hash) const {
  const uint32_t index = findWork(work_item_id, hash);
  if (index == StringIndex::kNone) return nullptr;
  WorkEntry* entry = &entryAt(index);
  return entry->agent == &agent ? entry : nullptr;
}

void DispatchEngine::applyCompleted(const v1::AgentEvent& event, uint64_t agent_hash,
                                    uint64_t work_hash, TimePoint now, Outcome& out) {
  const std::string& work_item_id = event.completed().work_item_id();
  if (work_item_id.empty()) {
    return setDisposition(out, Disposition::kIgnored, reason::kMissingId,
                          "completion without work_item_id");
  }
  AgentRecord* agent = findAgent(event.agent_id(), agent_hash);
  if (agent == nullptr) {
    return setDisposition(out, Disposition::kIgnored, reason::kUnknownAgent,
                          "completion from unknown agent '" + event.agent_id() + "'");
  }
  WorkEntry* entry = heldBy(*agent, work_item_id, work_hash);
  if (entry == nullptr) {
    return setDisposition(
        out, Disposition::kIgnored, reason::kUnknownWorkItem,
        "agent '" + event.agent_id() + "' holds no work item '" + work_item_id + "'");
  }
  // Its conversation's slot (a random one) loads while the slot and agent are released.
  if (entry->conversation_indexed) conversation_index_.prefetch(entry->conversation_hash);
  const std::string_view causation = event.envelope().event_id();
  decide(*entry, v1::ASSIGNMENT_STATUS_COMPLETED, now, causation, out);
  unlist(*agent);
  releaseSlot(*agent, *entry, now);
  heapRemove(*entry);
  if (entry->phase == Phase::kOffered) {
    --offered_count_;
  } else {
    --assigned_count_;
  }
  if (entry->conversation_indexed) {
    conversation_index_.eraseHandle(entry->conversation_hash, entry->index);
    entry->conversation_indexed = false;
  }
  out.removed_work.emplace_back(entry->id);
  freeEntry(*entry);
  // Its slot in ids_ becomes the finished id's.
  rememberFinished(entry->id, entry->id_hash, now, out, entry->index);
  noteAgent(*agent, out);
  matchAgent(*agent, now, causation, out);  // lists the agent again
}

void DispatchEngine::applyAccepted(const v1::AgentEvent& event, TimePoint now, Outcome& out) {
  const std::string& work_item_id = event.accepted().work_item_id();
  AgentRecord* agent = findAgent(event.agent_id());
  WorkEntry* entry = agent ? heldBy(*agent, work_item_id) : nullptr;
  if (entry == nullptr || entry->phase != Phase::kOffered) {
    return setDisposition(out, Disposition::kIgnored, reason::kUnknownOffer,
                          "no offer of '" + work_item_id + "' to agent '" + event.agent_id() +
                              "' is pending (never made, or lapsed)");
  }
  heapRemove(*entry);
  entry->phase = Phase::kAssigned;
  --offered_count_;
  ++assigned_count_;
  entry->decided_ns = toUnixNanos(now);
  Decision& decision =
      decide(*entry, v1::ASSIGNMENT_STATUS_ASSIGNED, now, event.envelope().event_id(), out);
  decision.accepted = true;
  entry->served = true;
  noteWork(*entry, out);
  noteAgent(*agent, out);
}

void DispatchEngine::applyRejected(const v1::AgentEvent& event, TimePoint now, Outcome& out) {
  const std::string& work_item_id = event.rejected().work_item_id();
  AgentRecord* agent = findAgent(event.agent_id());
  WorkEntry* entry = agent ? heldBy(*agent, work_item_id) : nullptr;
  if (entry == nullptr || entry->phase != Phase::kOffered) {
    return setDisposition(out, Disposition::kIgnored, reason::kUnknownOffer,
                          "no offer of '" + work_item_id + "' to agent '" + event.agent_id() +
                              "' is pending (never made, or lapsed)");
  }
  const std::string_view causation = event.envelope().event_id();
  noteDeclined(*entry, agent, now);
  takeBack(*entry, cause::kRejected, now, causation, out);
  matchItem(*entry, now, causation, out);
  matchAgent(*agent, now, causation, out);
}

void DispatchEngine::applyTransfer(const v1::AgentEvent& event, TimePoint now, Outcome& out) {
  const v1::TransferRequested& transfer = event.transfer();
  AgentRecord* agent = findAgent(event.agent_id());
  WorkEntry* entry = agent ? heldBy(*agent, transfer.work_item_id()) : nullptr;
  if (entry == nullptr) {
    return setDisposition(
        out, Disposition::kIgnored, reason::kUnknownWorkItem,
        "agent '" + event.agent_id() + "' holds no work item '" + transfer.work_item_id() + "'");
  }
  uint32_t to_queue = kNone;
  if (!transfer.to_queue_id().empty()) {
    to_queue = queueIndex(transfer.to_queue_id());
    if (to_queue == kNone) {
      return setDisposition(out, Disposition::kIgnored, reason::kUnknownQueue,
                            "transfer to unknown queue '" + transfer.to_queue_id() + "'");
    }
  }
  const std::string_view causation = event.envelope().event_id();
  AgentRecord* target =
      transfer.to_agent_id().empty() ? nullptr : findAgent(transfer.to_agent_id());
  const uint32_t channel = channelIndex(entry->channel);
  const bool direct = target != nullptr && target->presence == v1::PRESENCE_AVAILABLE &&
                      hasFreeSlot(*target, channel) && target != agent;
  // The transferring agent handed the item on: it does not come back to them from the queue.
  noteDeclined(*entry, agent, now);
  if (to_queue != kNone && to_queue != entry->queue) {
    const policy::Queue& queue = policy_->queues[to_queue];
    entry->item.set_queue_id(queue.name);
    entry->queue = to_queue;
    const policy::WorkItemAttributes attributes(entry->item);
    entry->item.set_priority(
        policy::effectivePriority(queue, attributes, TimePoint::max(), TimePoint::min()).value);
    entry->base_priority = entry->item.priority();
  }
  takeBack(*entry, cause::kTransferred, now, causation, out);
  if (direct) {
    Choice choice{target, kNone, kStrategyTransfer, 1};
    give(*entry, choice, now, causation, out);
  } else {
    matchItem(*entry, now, causation, out);
  }
  matchAgent(*agent, now, causation, out);
}

// ---------------------------------------------------------------------------------------------
// Policy

void DispatchEngine::loadPolicy() {
  const policy::Policy& p = *policy_;
  decline_memory_ns_ = toNanos(p.defaults.decline_memory);
  pools_.assign(p.pools.size(), PoolInfo{});
  pool_channel_listed_.resize(p.pools.size() * (kChannels + 1));
  for (size_t i = 0; i < p.pools.size(); ++i) {
    const policy::Pool& pool = p.pools[i];
    pools_[i].name = pool.name;
    pools_[i].in_domain = pool.domain == domain_;
    pools_[i].strategy = pool.strategy;
    pools_[i].sticky_grace_ns = toNanos(pool.sticky_grace.value_or(p.defaults.sticky_grace));
  }
  queues_.assign(p.queues.size(), QueueInfo{});
  queue_index_.clear();
  for (size_t q = 0; q < p.queues.size(); ++q) {
    const policy::Queue& queue = p.queues[q];
    QueueInfo& info = queues_[q];
    info.name = queue.name;
    queue_index_.emplace(queue.name, static_cast<uint32_t>(q));
    for (const std::string& name : queue.reach) {
      if (const policy::Pool* pool = p.findPool(name)) {
        info.reach.push_back(static_cast<uint32_t>(pool - p.pools.data()));
      }
    }
    for (const policy::OverflowStep& step : queue.overflow) {
      info.step_after.push_back(toNanos(step.after));
    }
    if (queue.sla_risk) {
      info.has_risk = true;
      info.risk_within = toNanos(queue.sla_risk->within);
      info.risk_add = queue.sla_risk->add;
    }
    info.served_here = !info.reach.empty() && pools_[info.reach[0]].in_domain;
  }
}

uint32_t DispatchEngine::queueIndex(std::string_view name) const {
  auto it = queue_index_.find(name);
  return it == queue_index_.end() ? kNone : it->second;
}

// Finds the entry's queue in the policy; an item whose queue the policy does not have (older
// or newer policy) gets one by policy::selectQueue(), with priority and deadline recomputed.
// `recompute`: recompute them anyway (the queue's definition changed).
void DispatchEngine::resolveQueue(WorkEntry& entry, TimePoint now, bool recompute) {
  (void)now;
  v1::WorkItem& item = entry.item;
  uint32_t q = queueIndex(item.queue_id());
  const policy::WorkItemAttributes attributes(item);
  if (q == kNone) {
    if (const policy::Queue* selected = policy::selectQueue(*policy_, attributes)) {
      q = static_cast<uint32_t>(selected - policy_->queues.data());
      item.set_queue_id(selected->name);
      recompute = true;
    }
  }
  entry.queue = q;
  if (q != kNone) {
    const policy::Queue& queue = policy_->queues[q];
    if (recompute) {
      item.set_priority(
          policy::effectivePriority(queue, attributes, TimePoint::max(), TimePoint::min()).value);
    }
    if (recompute || !isSet(item.sla_deadline())) {
      const policy::SlaDeadline deadline =
          policy::slaDeadline(*policy_, queue, item.channel(), toTimePoint(item.enqueued_at()));
      setTimestamp(item.mutable_sla_deadline(), deadline.at);
      item.set_after_hours(deadline.after_hours);
      entry.after_hours = deadline.after_hours;
    }
  }
  entry.base_priority = item.priority();
  entry.enqueued_ns = toUnixNanos(item.enqueued_at());
  entry.deadline_ns = toUnixNanos(item.sla_deadline());
}

void DispatchEngine::setPolicy(PolicyPtr policy, TimePoint now, Outcome& out) {
  begin(out);
  if (policy == nullptr || policy == policy_) return;
  const PolicyPtr old = policy_;
  retired_policy_ = old;
  policy_ = std::move(policy);
  loadPolicy();
  for (WorkEntry* owned : entries_) {
    WorkEntry& entry = *owned;
    if (entry.phase != Phase::kQueued && entry.phase != Phase::kOffered &&
        entry.phase != Phase::kAssigned) {
      continue;
    }
    const policy::Queue* before = old->findQueue(entry.item.queue_id());
    const policy::Queue* after = policy_->findQueue(entry.item.queue_id());
    const bool changed =
        after == nullptr || before == nullptr || !policy::sameQueueDefinition(*before, *after);
    resolveQueue(entry, now, changed);
    if (changed) noteWork(entry, out);
    if (entry.pool != kNone) {
      // The holder's pool by name in the new policy (or none).
      const std::string& name = old->pools[entry.pool].name;
      const policy::Pool* pool = policy_->findPool(name);
      entry.pool = pool ? static_cast<uint32_t>(pool - policy_->pools.data()) : kNone;
    }
  }
  rebuildIndexes(toUnixNanos(now));
  for (const AgentPtr& agent : agents_) noteAgent(*agent, out);
  advance(now, out, /*rematch_due=*/false);
  rebalance(now, out);
}

// ---------------------------------------------------------------------------------------------
// Restore

bool DispatchEngine::restoreAgent(const v1::AgentState& state) {
  if (domainOf(state.domain()) != domain_ || state.agent_id().empty() ||
      findAgent(state.agent_id()) != nullptr) {
    return false;
  }
  AgentRecord& agent = agentFor(state.agent_id());
  --presence_counts_[v1::PRESENCE_UNSPECIFIED];
  agent.presence = state.presence();
  if (static_cast<size_t>(agent.presence) < presence_counts_.size()) {
    ++presence_counts_[agent.presence];
  }
  agent.skill_names.assign(state.skills().begin(), state.skills().end());
  agent.skills = skill_sets_.intern(agent.skill_names);
  agent.stated_any = !state.capacities().empty();
  for (const v1::ChannelCapacity& capacity : state.capacities()) {
    const uint32_t c = static_cast<uint32_t>(capacity.channel());
    if (c < kChannels) agent.stated[c] = capacity.max_concurrent();
  }
  agent.display_name = state.display_name();
  agent.idle_since = isSet(state.idle_since()) ? toUnixNanos(state.idle_since()) : 0;
  agent.last_assigned_at =
      isSet(state.last_assigned_at()) ? toUnixNanos(state.last_assigned_at()) : 0;
  return true;
}

bool DispatchEngine::restoreWork(v1::WorkState state) {
  const std::string& id = state.item().work_item_id();
  if (id.empty() || domainOf(state.item().domain()) != domain_ ||
      findWork(id, StringIndex::hashOf(id)) != StringIndex::kNone) {
    return false;
  }
  WorkEntry& entry = allocateEntry();
  entry.item.Swap(state.mutable_item());
  adoptItem(entry);
  entry.skills = skill_sets_.intern(entry.item.required_skills());
  entry.attempt = std::max<uint32_t>(1, state.attempt());
  entry.served = state.served();
  entry.decided_ns = isSet(state.decided_at()) ? toUnixNanos(state.decided_at()) : 0;
  entry.expires_ns = toUnixNanos(state.offer_expires_at());
  entry.strategy = staticStrategy(state.strategy());
  entry.candidate_count = state.candidate_count();
  for (const std::string& declined : state.declined_agent_ids()) {
    if (AgentRecord* agent = findAgent(declined)) entry.declined.push_back(agent);
  }
  // (State written before the field existed has none: the list is forgotten at the next tick.)
  entry.declined_ns = toUnixNanos(state.last_declined_at());
  if (const policy::Pool* pool = policy_->findPool(state.pool_id())) {
    entry.pool = static_cast<uint32_t>(pool - policy_->pools.data());
  }
  AgentRecord* holder = nullptr;
  if (state.phase() == v1::WORK_PHASE_OFFERED || state.phase() == v1::WORK_PHASE_ASSIGNED) {
    holder = findAgent(state.agent_id());
  }
  if (!isSet(entry.item.enqueued_at())) setTimestamp(entry.item.mutable_enqueued_at(), TimePoint{});
  resolveQueue(entry, TimePoint{}, false);
  const std::string& conversation = entry.item.conversation_id();
  indexEntry(entry, StringIndex::hashOf(entry.item.work_item_id()),
             conversation.empty() ? 0 : StringIndex::hashOf(conversation));
  if (holder != nullptr) {
    entry.agent = holder;
    holder->holding.push_back(&entry);
    if (state.phase() == v1::WORK_PHASE_OFFERED) {
      entry.phase = Phase::kOffered;
      ++offered_count_;
    } else {
      entry.phase = Phase::kAssigned;
      ++assigned_count_;
    }
  } else {
    // Queued, or held by an agent this state does not know: it waits again.
    entry.phase = Phase::kQueued;
    entry.pool = kNone;
    ++queued_count_;
    if (state.phase() != v1::WORK_PHASE_QUEUED) restore_fixups_.push_back(&entry);
  }
  return true;
}

bool DispatchEngine::restoreFinished(const v1::FinishedWork& finished) {
  if (finished.work_item_id().empty() || domainOf(finished.domain()) != domain_) return false;
  restored_finished_.push_back(finished);
  return true;
}

void DispatchEngine::restored(TimePoint now, Outcome& out) {
  begin(out);
  std::sort(restored_finished_.begin(), restored_finished_.end(),
            [](const v1::FinishedWork& a, const v1::FinishedWork& b) {
              return a.sequence() < b.sequence();
            });
  for (const v1::FinishedWork& finished : restored_finished_) {
    const uint64_t hash = StringIndex::hashOf(finished.work_item_id());
    if (remembersFinished(finished.work_item_id(), hash)) continue;
    if (findWork(finished.work_item_id(), hash) != StringIndex::kNone) {
      held_ids_may_be_finished_ = true;
    }
    insertFinished(finished.work_item_id(), hash, finished.sequence(),
                   toUnixNanos(finished.finished_at()), &out, /*restoring=*/true);
    next_finished_sequence_ = std::max(next_finished_sequence_, finished.sequence() + 1);
  }
  restored_finished_.clear();
  restored_finished_.shrink_to_fit();
  rebuildIndexes(toUnixNanos(now));
  for (WorkEntry* entry : restore_fixups_) noteWork(*entry, out);
  restore_fixups_.clear();
  advance(now, out, /*rematch_due=*/false);
  rebalance(now, out);
}

// ---------------------------------------------------------------------------------------------
// Persistence and publication

bool DispatchEngine::agentState(std::string_view agent_id, v1::AgentState& out) const {
  const AgentRecord* agent = findAgent(agent_id);
  if (agent == nullptr) return false;
  out.Clear();
  out.set_agent_id(agent->id);
  out.set_domain(domain_);
  out.set_presence(agent->presence);
  for (size_t c = 0; c < kChannels; ++c) {
    if (!agent->stated[c]) continue;
    v1::ChannelCapacity* capacity = out.add_capacities();
    capacity->set_channel(static_cast<v1::Channel>(c));
    capacity->set_max_concurrent(*agent->stated[c]);
  }
  for (const std::string& skill : agent->skill_names) out.add_skills(skill);
  out.set_display_name(agent->display_name);
  for (const WorkEntry* entry : agent->holding) {
    v1::ActiveWork* work = out.add_active_work_items();
    work->set_work_item_id(entry->item.work_item_id());
    work->set_channel(entry->item.channel());
    setIfSet(work->mutable_assigned_at(), entry->decided_ns);
    work->set_attempt(entry->attempt);
    if (entry->phase == Phase::kOffered) {
      work->set_offered(true);
      setIfSet(work->mutable_offer_expires_at(), entry->expires_ns);
    }
  }
  setIfSet(out.mutable_idle_since(), agent->idle_since);
  setIfSet(out.mutable_last_assigned_at(), agent->last_assigned_at);
  return true;
}

bool DispatchEngine::workState(std::string_view work_item_id, v1::WorkState& out) const {
  const uint32_t index = findWork(work_item_id, StringIndex::hashOf(work_item_id));
  if (index == StringIndex::kNone) return false;
  const WorkEntry& entry = entryAt(index);
  out.Clear();
  *out.mutable_item() = entry.item;
  switch (entry.phase) {
    case Phase::kQueued: out.set_phase(v1::WORK_PHASE_QUEUED); break;
    case Phase::kOffered: out.set_phase(v1::WORK_PHASE_OFFERED); break;
    case Phase::kAssigned: out.set_phase(v1::WORK_PHASE_ASSIGNED); break;
    default: break;
  }
  if (entry.agent != nullptr) out.set_agent_id(entry.agent->id);
  out.set_attempt(entry.attempt);
  if (entry.phase != Phase::kQueued) {
    setIfSet(out.mutable_decided_at(), entry.decided_ns);
    if (entry.pool != kNone) out.set_pool_id(policy_->pools[entry.pool].name);
    out.set_strategy(std::string(entry.strategy));
    out.set_candidate_count(entry.candidate_count);
  }
  if (entry.phase == Phase::kOffered) setIfSet(out.mutable_offer_expires_at(), entry.expires_ns);
  for (const AgentRecord* agent : entry.declined) out.add_declined_agent_ids(agent->id);
  if (!entry.declined.empty()) setIfSet(out.mutable_last_declined_at(), entry.declined_ns);
  out.set_served(entry.served);
  return true;
}

void DispatchEngine::finishedWork(const FinishedNote& note, v1::FinishedWork& out) const {
  out.Clear();
  out.set_work_item_id(std::string(note.work_item_id));
  out.set_domain(domain_);
  out.set_sequence(note.sequence);
  setTimestamp(out.mutable_finished_at(), note.finished_at);
}

const v1::WorkItem& DispatchEngine::decisionItem(const Decision& decision) const {
  return entryAt(decision.work).item;
}

void DispatchEngine::buildAssignment(const Decision& d, v1::Assignment& out) const {
  const v1::WorkItem& item = decisionItem(d);
  out.Clear();
  std::string* id = out.mutable_assignment_id();
  id->reserve(d.work_item_id.size() + 16);
  id->append(d.work_item_id);
  id->push_back('/');
  id->append(std::to_string(d.attempt));
  id->push_back('/');
  id->append(statusWord(d.status));
  v1::Envelope* envelope = out.mutable_envelope();
  envelope->set_event_id(*id);
  envelope->set_trace_id(item.envelope().trace_id());
  setTimestamp(envelope->mutable_created_at(), d.decided_at);
  if (item.envelope().has_received_at()) {
    *envelope->mutable_received_at() = item.envelope().received_at();
  }
  envelope->set_producer(std::string(kProducer));
  envelope->set_causation_id(std::string(d.causation_id));
  out.set_work_item_id(std::string(d.work_item_id));
  out.set_agent_id(std::string(d.agent_id));
  out.set_pool_id(std::string(d.pool_id));
  out.set_queue_id(std::string(d.queue_id));
  out.set_customer_id(item.customer_id());
  out.set_conversation_id(item.conversation_id());
  out.set_channel(d.channel);
  out.set_status(d.status);
  setTimestamp(out.mutable_decided_at(), d.decided_at);

  v1::AssignmentReason* why = out.mutable_reason();
  why->set_strategy(std::string(d.strategy));
  why->set_candidate_count(d.candidate_count);
  setDuration(
      why->mutable_waited(),
      std::max(std::chrono::nanoseconds(0),
               std::chrono::duration_cast<std::chrono::nanoseconds>(d.decided_at - d.enqueued_at)));
  why->set_overflowed(d.overflowed);
  why->set_queue_id(std::string(d.queue_id));
  why->set_pool_id(std::string(d.pool_id));
  why->set_overflow_step(d.overflow_step);
  why->set_priority(d.priority);
  why->set_sla_at_risk(d.sla_at_risk);
  why->set_after_hours(d.after_hours);
  why->set_cause(std::string(d.cause));
  why->set_attempt(d.attempt);
  if (d.sla_deadline != TimePoint{}) setTimestamp(why->mutable_sla_deadline(), d.sla_deadline);

  std::string detail;
  switch (d.status) {
    case v1::ASSIGNMENT_STATUS_OFFERED:
    case v1::ASSIGNMENT_STATUS_ASSIGNED:
      if (d.strategy == kStrategySticky) {
        detail = "the customer's last agent, within the sticky grace";
      } else if (d.strategy == kStrategyTransfer) {
        detail = "transferred to this agent by name";
      } else {
        detail = "best of " + std::to_string(d.candidate_count) + " eligible agent(s) of pool '" +
                 std::string(d.pool_id) + "' by " + std::string(d.strategy);
      }
      if (d.overflowed) detail += " (overflow step " + std::to_string(d.overflow_step) + ")";
      if (d.accepted) detail = "offer accepted; " + detail;
      break;
    case v1::ASSIGNMENT_STATUS_REQUEUED: detail = "back to queue: " + std::string(d.cause); break;
    case v1::ASSIGNMENT_STATUS_COMPLETED: detail = "completed by the agent"; break;
    case v1::ASSIGNMENT_STATUS_APPENDED:
      detail = "follow-up of a conversation the agent has in hand";
      break;
    default: break;
  }
  why->set_detail(std::move(detail));
}

bool DispatchEngine::buildCustomerEvent(const Decision& d, v1::CustomerEvent& out) const {
  const v1::WorkItem& item = decisionItem(d);
  if (item.customer_id().empty()) return false;
  const bool served =
      d.status == v1::ASSIGNMENT_STATUS_ASSIGNED || d.status == v1::ASSIGNMENT_STATUS_APPENDED;
  if (!served && d.status != v1::ASSIGNMENT_STATUS_COMPLETED) return false;
  out.Clear();
  const std::string assignment_id = std::string(d.work_item_id) + "/" + std::to_string(d.attempt) +
                                    "/" + std::string(statusWord(d.status));
  v1::Envelope* envelope = out.mutable_envelope();
  envelope->set_event_id(assignment_id + "/customer");
  envelope->set_trace_id(item.envelope().trace_id());
  setTimestamp(envelope->mutable_created_at(), d.decided_at);
  envelope->set_producer(std::string(kProducer));
  envelope->set_causation_id(assignment_id);
  out.set_customer_id(item.customer_id());
  if (served) {
    v1::ServedBy* by = out.mutable_served();
    by->set_agent_id(std::string(d.agent_id));
    by->set_work_item_id(std::string(d.work_item_id));
    by->set_conversation_id(item.conversation_id());
    setTimestamp(by->mutable_at(), d.decided_at);
  } else {
    v1::WorkFinished* finished = out.mutable_finished();
    finished->set_agent_id(std::string(d.agent_id));
    finished->set_work_item_id(std::string(d.work_item_id));
    finished->set_conversation_id(item.conversation_id());
    setTimestamp(finished->mutable_at(), d.decided_at);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Reads

void DispatchEngine::queueStats(std::vector<QueueStats>& out) const {
  out.clear();
  for (WorkEntry* owned : entries_) {
    const WorkEntry& entry = *owned;
    if (entry.phase != Phase::kQueued) continue;
    const std::string_view queue = entry.item.queue_id();
    auto it =
        std::find_if(out.begin(), out.end(), [&](const QueueStats& s) { return s.queue == queue; });
    const TimePoint enqueued = fromNanos(entry.enqueued_ns);
    if (it == out.end()) {
      out.push_back(QueueStats{queue, 1, enqueued});
    } else {
      ++it->depth;
      it->oldest_enqueued_at = std::min(it->oldest_enqueued_at, enqueued);
    }
  }
}

std::optional<TimePoint> DispatchEngine::oldestEnqueuedAt() const {
  std::optional<int64_t> oldest;
  for (const WorkEntry* entry : entries_) {
    if (entry->phase == Phase::kQueued && (!oldest || entry->enqueued_ns < *oldest)) {
      oldest = entry->enqueued_ns;
    }
  }
  if (!oldest) return std::nullopt;
  return fromNanos(*oldest);
}

size_t DispatchEngine::agentCount(v1::Presence presence) const {
  const auto index = static_cast<size_t>(presence);
  return index < presence_counts_.size() ? presence_counts_[index] : 0;
}

DispatchEngine::Occupancy DispatchEngine::occupancy() const {
  Occupancy result;
  for (const AgentPtr& agent : agents_) {
    if (agent->presence != v1::PRESENCE_AVAILABLE) continue;
    result.used += agent->active;
    if (agent->any_channel) {
      result.total += 1;
    } else {
      for (const Slot& slot : agent->slots) result.total += slot.max;
    }
  }
  return result;
}

size_t DispatchEngine::strandedCount() const {
  size_t count = 0;
  for (const WorkEntry* entry : entries_) {
    if (entry->phase != Phase::kQueued) continue;
    if (entry->queue == kNone || !queues_[entry->queue].served_here) ++count;
  }
  return count;
}

bool DispatchEngine::remembersFinished(std::string_view work_item_id) const {
  return remembersFinished(work_item_id, StringIndex::hashOf(work_item_id));
}

bool DispatchEngine::remembersFinished(std::string_view work_item_id, uint64_t hash) const {
  return ids_.findIf(work_item_id, hash, [](uint32_t handle) { return isFinished(handle); }) !=
         StringIndex::kNone;
}

uint32_t DispatchEngine::findWork(std::string_view work_item_id, uint64_t hash) const {
  return ids_.findIf(work_item_id, hash, [](uint32_t handle) { return !isFinished(handle); });
}

const v1::WorkItem* DispatchEngine::workItem(std::string_view work_item_id) const {
  const uint32_t index = findWork(work_item_id, StringIndex::hashOf(work_item_id));
  return index == StringIndex::kNone ? nullptr : &entryAt(index).item;
}

std::optional<TimePoint> DispatchEngine::nextTimer() const {
  if (heap_.empty()) return std::nullopt;
  return fromNanos(heap_.front().at);
}

// ---------------------------------------------------------------------------------------------
// Agents

DispatchEngine::AgentRecord* DispatchEngine::findAgent(std::string_view id) const {
  return findAgent(id, StringIndex::hashOf(id));
}

DispatchEngine::AgentRecord* DispatchEngine::findAgent(std::string_view id, uint64_t hash) const {
  const uint32_t index = agent_index_.find(id, hash);
  return index == StringIndex::kNone ? nullptr : agents_[index].get();
}

DispatchEngine::AgentRecord& DispatchEngine::agentFor(std::string_view id) {
  if (AgentRecord* agent = findAgent(id)) return *agent;
  AgentPtr owned(new (agent_slab_.allocate()) AgentRecord());
  AgentRecord& agent = *owned;
  agent.index = static_cast<uint32_t>(agents_.size());
  agent.id.assign(id);
  agent.key.set(agent.id);
  agents_.push_back(std::move(owned));
  agent_index_.insert(agent.key.view, StringIndex::hashOf(agent.key.view), agent.index);
  ++presence_counts_[v1::PRESENCE_UNSPECIFIED];
  recomputeMembership(agent);
  return agent;
}

void DispatchEngine::recomputeMembership(AgentRecord& agent) {
  agent.pools.clear();
  const policy::Policy& p = *policy_;
  for (size_t i = 0; i < p.pools.size(); ++i) {
    if (pools_[i].in_domain && p.pools[i].admits(agent.id, agent.skill_names)) {
      agent.pools.push_back(static_cast<uint32_t>(i));
    }
  }
  std::vector<uint32_t> members = agent.pools;
  agent.pool_set = pool_sets_.intern(members);
  agent.group_of.assign(agent.pools.size() * (kChannels + 1), kNone);
  agent.compat = compatFor(agent.skills, agent.pool_set);
  recomputeSlots(agent);
}

// Capacity per channel: the first member pool (policy order) that lists the channel, else the
// agent's stated capacity. With neither for any channel: one item of any channel.
void DispatchEngine::recomputeSlots(AgentRecord& agent) {
  const ChannelCapacity capacity =
      channelCapacity(*policy_, agent.pools, agent.stated_any, agent.stated);
  for (size_t c = 0; c < kChannels; ++c) agent.slots[c] = Slot{capacity.max[c], 0};
  agent.any_channel = !capacity.known;
  agent.active = static_cast<uint32_t>(agent.holding.size());
  for (const WorkEntry* entry : agent.holding) ++agent.slots[channelIndex(entry->channel)].used;
  agent.free_channels = 0;
  for (uint32_t c = 0; c < kChannels; ++c) syncFreeChannel(agent, c);
}

void DispatchEngine::syncFreeChannel(AgentRecord& agent, uint32_t channel) {
  const Slot& slot = agent.slots[channel];
  const uint32_t bit = 1u << channel;
  agent.free_channels =
      slot.used < slot.max ? agent.free_channels | bit : agent.free_channels & ~bit;
}

bool DispatchEngine::hasFreeSlot(const AgentRecord& agent, uint32_t channel) const {
  if (agent.any_channel) return agent.active == 0;
  return (agent.free_channels >> channel) & 1u;
}

bool DispatchEngine::hasAnyFreeSlot(const AgentRecord& agent) const {
  if (agent.any_channel) return agent.active == 0;
  return agent.free_channels != 0;
}

// (a, b) of a pool's strategy, smaller first:
//   longest-idle  (busy, busy ? last_assigned_at : idle_since)
//   least-busy    (items in hand, busy ? last_assigned_at : idle_since)
//   round-robin   (ever assigned, last_assigned_at)
DispatchEngine::AgentRank DispatchEngine::agentRank(const AgentRecord& agent, uint32_t pool) const {
  const bool busy = agent.active > 0;
  const int64_t since = busy ? agent.last_assigned_at : agent.idle_since;
  AgentRank rank{0, 0, agent.key.view, const_cast<AgentRecord*>(&agent)};
  switch (pools_[pool].strategy) {
    case policy::Strategy::kLongestIdle:
      rank.a = busy ? 1 : 0;
      rank.b = since;
      break;
    case policy::Strategy::kLeastBusy:
      rank.a = agent.active;
      rank.b = since;
      break;
    case policy::Strategy::kRoundRobin:
      rank.a = agent.last_assigned_at != 0 ? 1 : 0;
      rank.b = agent.last_assigned_at;
      break;
  }
  return rank;
}

uint32_t DispatchEngine::agentGroup(uint32_t pool, uint32_t channel, SkillSetId skills) {
  const uint64_t key = (uint64_t{pool} << 40) | (uint64_t{channel} << 32) | skills;
  auto [it, inserted] =
      agent_group_index_.try_emplace(key, static_cast<uint32_t>(agent_groups_.size()));
  if (inserted) {
    AgentGroup& group = agent_groups_.emplace_back();
    group.pool = pool;
    group.channel = channel;
    group.skills = skills;
  }
  return it->second;
}

void DispatchEngine::syncListed(uint32_t g) {
  AgentGroup& group = agent_groups_[g];
  std::vector<ListedGroup>& listed =
      pool_channel_listed_[group.pool * (kChannels + 1) + group.channel];
  if (group.agents.empty()) {
    if (group.listed_at == kNone) return;
    // Swap-remove: the last listed group takes its place.
    listed[group.listed_at] = listed.back();
    agent_groups_[listed[group.listed_at].group].listed_at = group.listed_at;
    listed.pop_back();
    group.listed_at = kNone;
    return;
  }
  if (group.listed_at == kNone) {
    group.listed_at = static_cast<uint32_t>(listed.size());
    listed.push_back(ListedGroup{group.skills, g});
  }
  ListedGroup& entry = listed[group.listed_at];
  entry.size = static_cast<uint32_t>(group.agents.size());
  entry.first = &*group.agents.begin();
}

void DispatchEngine::unlist(AgentRecord& agent) {
  for (const auto& [group, position] : agent.listed) {
    spare_agent_nodes_.push_back(agent_groups_[group].agents.extract(position));
    syncListed(group);
  }
  agent.listed.clear();
}

void DispatchEngine::list(AgentRecord& agent) {
  if (agent.presence != v1::PRESENCE_AVAILABLE || !hasAnyFreeSlot(agent)) return;
  for (size_t p = 0; p < agent.pools.size(); ++p) {
    const uint32_t pool = agent.pools[p];
    const AgentRank rank = agentRank(agent, pool);
    auto add = [&](uint32_t channel) {
      uint32_t& cached = agent.group_of[p * (kChannels + 1) + channel];
      if (cached == kNone) cached = agentGroup(pool, channel, agent.skills);
      const uint32_t group = cached;
      AgentSet& set = agent_groups_[group].agents;
      AgentSet::iterator position;
      if (spare_agent_nodes_.empty()) {
        position = set.insert(rank).first;
      } else {
        AgentSet::node_type node = std::move(spare_agent_nodes_.back());
        spare_agent_nodes_.pop_back();
        node.value() = rank;
        position = set.insert(std::move(node)).position;
      }
      agent.listed.emplace_back(group, position);
      syncListed(group);
    };
    if (agent.any_channel) {
      if (agent.active == 0) add(kAnyChannel);
      continue;
    }
    for (uint32_t free = agent.free_channels; free != 0; free &= free - 1) {
      add(static_cast<uint32_t>(std::countr_zero(free)));
    }
  }
}

void DispatchEngine::setPresence(AgentRecord& agent, v1::Presence presence, TimePoint now) {
  const bool was_available = agent.presence == v1::PRESENCE_AVAILABLE;
  if (static_cast<size_t>(agent.presence) < presence_counts_.size() &&
      presence_counts_[agent.presence] > 0) {
    --presence_counts_[agent.presence];
  }
  agent.presence = presence;
  if (static_cast<size_t>(presence) < presence_counts_.size()) ++presence_counts_[presence];
  // Back from a break (or new) with nothing in hand: idle from now, so that a returning agent
  // does not jump ahead of colleagues who have been waiting for work.
  if (presence == v1::PRESENCE_AVAILABLE && !was_available && agent.active == 0) {
    agent.idle_since = toUnixNanos(now);
  }
}

void DispatchEngine::holdSlot(AgentRecord& agent, WorkEntry& entry) {
  ++agent.active;
  const uint32_t channel = channelIndex(entry.channel);
  ++agent.slots[channel].used;
  syncFreeChannel(agent, channel);
  agent.holding.push_back(&entry);
}

void DispatchEngine::releaseSlot(AgentRecord& agent, WorkEntry& entry, TimePoint now) {
  if (agent.active > 0) --agent.active;
  const uint32_t channel = channelIndex(entry.channel);
  Slot& slot = agent.slots[channel];
  if (slot.used > 0) --slot.used;
  syncFreeChannel(agent, channel);
  auto it = std::find(agent.holding.begin(), agent.holding.end(), &entry);
  if (it != agent.holding.end()) agent.holding.erase(it);
  if (agent.active == 0) agent.idle_since = toUnixNanos(now);
}

bool DispatchEngine::isMember(const AgentRecord& agent, uint32_t pool) const {
  return std::find(agent.pools.begin(), agent.pools.end(), pool) != agent.pools.end();
}

bool DispatchEngine::declinedBy(const WorkEntry& entry, const AgentRecord* agent) {
  return std::find(entry.declined.begin(), entry.declined.end(), agent) != entry.declined.end();
}

void DispatchEngine::noteDeclined(WorkEntry& entry, AgentRecord* agent, TimePoint now) {
  if (!declinedBy(entry, agent)) entry.declined.push_back(agent);
  entry.declined_ns = toUnixNanos(now);
}

bool DispatchEngine::forgetsDeclines(const WorkEntry& entry, int64_t now_ns) const {
  return decline_memory_ns_ > 0 && !entry.declined.empty() &&
         now_ns >= entry.declined_ns + decline_memory_ns_;
}

bool DispatchEngine::eligibleIn(const AgentRecord& agent, const WorkEntry& entry,
                                uint32_t pool) const {
  return agent.presence == v1::PRESENCE_AVAILABLE && isMember(agent, pool) &&
         hasFreeSlot(agent, channelIndex(entry.channel)) &&
         skill_sets_.covers(agent.skills, entry.skills) && !declinedBy(entry, &agent);
}

DispatchEngine::Compat* DispatchEngine::compatFor(SkillSetId skills, SetId pools) {
  return &compat_[(uint64_t{skills} << 32) | pools];
}

void DispatchEngine::noteAgent(AgentRecord& agent, Outcome& out) {
  if (agent.noted_call == call_) return;
  agent.noted_call = call_;
  out.changed_agents.emplace_back(agent.key.view);  // (the id's characters, on a hot line)
}

// ---------------------------------------------------------------------------------------------
// Work

DispatchEngine::WorkEntry& DispatchEngine::allocateEntry() {
  WorkEntry* entry;
  if (!free_entries_.empty()) {
    entry = &entryAt(free_entries_.back());
    free_entries_.pop_back();
  } else {
    const auto index = static_cast<uint32_t>(entries_.size());
    if (index % kEntryChunk == 0) {
      auto* chunk = static_cast<WorkEntry*>(entry_slab_.allocate());
      std::uninitialized_default_construct_n(chunk, kEntryChunk);
      entry_chunks_.emplace_back(chunk);
    }
    entry = &entryAt(index);
    entry->index = index;
    entries_.push_back(entry);
    timer_live_.push_back(0);
  }
  entry->phase = Phase::kFree;  // callers set the real phase
  entry->queue = kNone;
  entry->skills = SkillSets::kEmpty;
  entry->base_priority = entry->priority = 0;
  entry->at_risk = false;
  entry->steps = 0;
  entry->enqueued_ns = entry->deadline_ns = 0;
  entry->group = kNone;
  entry->attempt = 1;
  entry->agent = nullptr;
  entry->pool = kNone;
  entry->strategy = {};
  entry->candidate_count = 0;
  entry->decided_ns = entry->expires_ns = 0;
  entry->served = false;
  entry->declined.clear();
  entry->declined_ns = 0;
  entry->id_hash = entry->conversation_hash = 0;
  entry->conversation_indexed = false;
  entry->timer_ns = 0;
  // (A stale node of an earlier use may remain: timer_seq differs.)
  setTimerLive(*entry, false);
  entry->noted_call = 0;
  return *entry;
}

// The entry's views stay valid until the next call (decisions and outcome lists use them).
void DispatchEngine::freeEntry(WorkEntry& entry) {
  entry.phase = Phase::kTransient;
  released_entries_.push_back(entry.index);
}

// Copies what scheduling reads often out of a newly stored item, while it is in cache.
void DispatchEngine::adoptItem(WorkEntry& entry) {
  const v1::WorkItem& item = entry.item;
  const std::string& id = item.work_item_id();
  if (id.size() <= entry.key_chars.size()) {
    std::copy(id.begin(), id.end(), entry.key_chars.begin());
    entry.id = std::string_view(entry.key_chars.data(), id.size());
  } else {
    entry.id = id;  // (the message's string does not move while the entry holds it)
  }
  entry.channel = item.channel();
  entry.after_hours = item.after_hours();
  entry.sticky_candidate = item.has_context() && !item.context().last_agent_id().empty() &&
                           isSet(item.context().last_served_at());
}

void DispatchEngine::indexEntry(WorkEntry& entry, uint64_t id_hash, uint64_t conversation_hash,
                                bool conversation_absent) {
  entry.id_hash = id_hash;
  entry.conversation_hash = conversation_hash;
  ids_.insert(entry.id, id_hash, entry.index);
  const std::string& conversation = entry.item.conversation_id();
  if (!conversation.empty() &&
      (conversation_absent ||
       conversation_index_.find(conversation, conversation_hash) == StringIndex::kNone)) {
    conversation_index_.insert(&conversation, conversation_hash, entry.index);
    entry.conversation_indexed = true;
  }
}

std::span<const uint32_t> DispatchEngine::reachOf(const WorkEntry& entry) const {
  if (entry.queue == kNone) return {};
  const std::vector<uint32_t>& reach = queues_[entry.queue].reach;
  return std::span<const uint32_t>(reach.data(), std::min<size_t>(reach.size(), entry.steps + 1));
}

// Recomputes what time changes about a queued item: overflow steps in force, SLA risk, and so
// the effective priority (its rank).
void DispatchEngine::refresh(WorkEntry& entry, int64_t now_ns) {
  entry.steps = 0;
  entry.at_risk = false;
  int64_t priority = entry.base_priority;
  if (entry.queue != kNone) {
    const QueueInfo& info = queues_[entry.queue];
    const int64_t waited = now_ns - entry.enqueued_ns;
    while (entry.steps < info.step_after.size() && waited >= info.step_after[entry.steps]) {
      ++entry.steps;
    }
    if (info.has_risk && now_ns >= entry.deadline_ns - info.risk_within) {
      entry.at_risk = true;
      priority += info.risk_add;
    }
  }
  entry.priority = clampPriority(priority);
}

std::optional<int64_t> DispatchEngine::reachedAfter(const AgentRecord& agent,
                                                    uint32_t queue) const {
  if (queue == kNone) return std::nullopt;
  const QueueInfo& info = queues_[queue];
  for (size_t i = 0; i < info.reach.size(); ++i) {
    if (!isMember(agent, info.reach[i])) continue;
    if (i == 0) return 0;
    if (i - 1 < info.step_after.size()) return info.step_after[i - 1];
  }
  return std::nullopt;
}

// Computed, not kept in the entry: only sorts of a few entries read it, and 56 bytes less
// make an entry one cache line shorter.
bool DispatchEngine::queuedBefore(const WorkEntry* a, const WorkEntry* b) {
  const policy::QueueRankKey ka{a->priority, fromNanos(a->enqueued_ns), fromNanos(a->deadline_ns),
                                a->id};
  const policy::QueueRankKey kb{b->priority, fromNanos(b->enqueued_ns), fromNanos(b->deadline_ns),
                                b->id};
  return ka < kb;
}

uint32_t DispatchEngine::itemGroup(uint32_t channel, SkillSetId skills, uint32_t queue) {
  const uint64_t key = (uint64_t{skills} << 36) | (uint64_t{queue} << 4) | channel;
  auto [it, inserted] =
      item_group_index_.try_emplace(key, static_cast<uint32_t>(item_groups_.size()));
  if (inserted) {
    ItemGroup& group = item_groups_.emplace_back();
    group.channel = channel;
    group.skills = skills;
    group.queue = queue;
  }
  return it->second;
}

void DispatchEngine::enqueue(WorkEntry& entry, int64_t now_ns) {
  if (entry.phase != Phase::kQueued) ++queued_count_;
  entry.phase = Phase::kQueued;
  refresh(entry, now_ns);
  entry.group = itemGroup(channelIndex(entry.channel), entry.skills, entry.queue);
  insertQueued(entry);
  scheduleTimer(entry);
}

// Into its item group (enqueue() chose the group, refresh() the rank). Arrivals and items crossing
// an overflow step come in enqueued_at order, items entering the SLA-risk window in deadline order:
// they go to the back of their priority level (see ItemQueue).
void DispatchEngine::insertQueued(WorkEntry& entry) {
  entry.queued_priority = entry.priority;
  item_groups_[entry.group].items.insert(entry.queued_priority, queuedItem(entry));
}

ItemQueue::Item DispatchEngine::queuedItem(const WorkEntry& entry) {
  return ItemQueue::Item{entry.enqueued_ns, entry.deadline_ns, entry.id, entry.index,
                         !entry.declined.empty()};
}

// Out of its group (not of the engine): it is being offered or assigned.
void DispatchEngine::unqueue(WorkEntry& entry) {
  if (entry.group == kNone) return;
  // (ItemQueue::erase() finds it by rank and handle; the declined flag is not part of either.)
  item_groups_[entry.group].items.erase(entry.queued_priority, queuedItem(entry));
  entry.group = kNone;
}

void DispatchEngine::noteWork(WorkEntry& entry, Outcome& out) {
  if (entry.noted_call == call_) return;
  entry.noted_call = call_;
  out.changed_work.emplace_back(entry.id);
}

// The next moment something about the entry changes by itself: an overflow step, the SLA-risk
// boost (queued), or the offer's expiry (offered).
void DispatchEngine::scheduleTimer(WorkEntry& entry) {
  std::optional<int64_t> next;
  if (entry.phase == Phase::kOffered) {
    next = entry.expires_ns;
  } else if (entry.phase == Phase::kQueued && entry.queue != kNone) {
    const QueueInfo& info = queues_[entry.queue];
    if (entry.steps < info.step_after.size()) {
      next = entry.enqueued_ns + info.step_after[entry.steps];
    }
    if (info.has_risk && !entry.at_risk) {
      const int64_t risk = entry.deadline_ns - info.risk_within;
      next = next ? std::min(*next, risk) : risk;
    }
    if (decline_memory_ns_ > 0 && !entry.declined.empty()) {
      const int64_t forget = entry.declined_ns + decline_memory_ns_;
      next = next ? std::min(*next, forget) : forget;
    }
  }
  if (!next) return heapRemove(entry);
  if (entry.timer_set) {
    if (entry.timer_ns == *next) return;
    ++stale_timers_;
  }
  entry.timer_ns = *next;
  if (++entry.timer_seq == 0) entry.timer_seq = 1;  // 0 means "no live node" in timer_live_
  setTimerLive(entry, true);
  heap_.push_back(TimerNode{*next, entry.index, entry.timer_seq});
  heapUp(heap_.size() - 1);
  heapPrune();
}

// ---------------------------------------------------------------------------------------------
// Matching

std::optional<int64_t> DispatchEngine::stickyGrace(const WorkEntry& entry) const {
  if (entry.queue == kNone || queues_[entry.queue].reach.empty()) {
    return toNanos(policy_->defaults.sticky_grace);
  }
  return pools_[queues_[entry.queue].reach[0]].sticky_grace_ns;
}

bool DispatchEngine::isSticky(const WorkEntry& entry, const AgentRecord& agent,
                              int64_t now_ns) const {
  if (!entry.sticky_candidate) return false;  // most items: no need to read the message
  const v1::CustomerContext& context = entry.item.context();
  if (context.last_agent_id() != agent.key.view || !isSet(context.last_served_at())) return false;
  const std::optional<int64_t> grace = stickyGrace(entry);
  return grace && now_ns - toUnixNanos(context.last_served_at()) <= *grace;
}

DispatchEngine::Choice DispatchEngine::choose(const WorkEntry& entry, int64_t now_ns) const {
  Choice choice;
  const std::span<const uint32_t> reach = reachOf(entry);
  if (reach.empty()) return choice;
  const uint32_t channel = channelIndex(entry.channel);

  // The best eligible agent of one pool by its strategy, and how many are eligible there.
  auto scan = [&](uint32_t pool, const AgentRank** best) {
    uint32_t count = 0;
    auto consider = [&](const AgentRank& rank) {
      if (*best == nullptr || rank < **best) *best = &rank;
    };
    for (uint32_t key : {channel, static_cast<uint32_t>(kAnyChannel)}) {
      for (const ListedGroup& listed : pool_channel_listed_[pool * (kChannels + 1) + key]) {
        if (!skill_sets_.covers(listed.skills, entry.skills)) continue;
        count += listed.size;
        if (!declinedBy(entry, listed.first->agent)) {
          consider(*listed.first);
          continue;
        }
        for (const AgentRank& rank : agent_groups_[listed.group].agents) {
          if (declinedBy(entry, rank.agent)) continue;
          consider(rank);
          break;
        }
      }
    }
    // Agents that declined the item are listed but not eligible.
    for (const AgentRecord* declined : entry.declined) {
      if (declined->presence == v1::PRESENCE_AVAILABLE && isMember(*declined, pool) &&
          hasFreeSlot(*declined, channel) && skill_sets_.covers(declined->skills, entry.skills) &&
          count > 0) {
        --count;
      }
    }
    return count;
  };

  // Sticky: the customer's last agent, when eligible and within the grace.
  if (entry.sticky_candidate) {
    const std::string& last_agent = entry.item.context().last_agent_id();
    if (AgentRecord* agent = findAgent(last_agent); agent && isSticky(entry, *agent, now_ns)) {
      for (uint32_t pool : reach) {
        if (!eligibleIn(*agent, entry, pool)) continue;
        const AgentRank* ignored = nullptr;
        return Choice{agent, pool, kStrategySticky, scan(pool, &ignored)};
      }
    }
  }
  for (uint32_t pool : reach) {
    if (!pools_[pool].in_domain) continue;
    // Nobody free in the pool for this channel (a busy centre's steady state): no scan.
    const std::vector<ListedGroup>* listed = &pool_channel_listed_[pool * (kChannels + 1)];
    if (listed[channel].empty() && listed[kAnyChannel].empty()) continue;
    const AgentRank* best = nullptr;
    const uint32_t count = scan(pool, &best);
    if (best != nullptr) {
      return Choice{best->agent, pool, policy::strategyName(pools_[pool].strategy), count};
    }
  }
  return choice;
}

void DispatchEngine::matchItem(WorkEntry& entry, TimePoint now, std::string_view causation,
                               Outcome& out) {
  if (entry.phase != Phase::kQueued) return;
  const Choice choice = choose(entry, toUnixNanos(now));
  if (choice.agent != nullptr) give(entry, choice, now, causation, out);
}

// The first queued item (queue order) `agent` can serve.
DispatchEngine::WorkEntry* DispatchEngine::bestItemFor(AgentRecord& agent, int64_t now_ns) {
  Compat& compat = *agent.compat;
  while (compat.checked < item_groups_.size()) {
    const ItemGroup& group = item_groups_[compat.checked];
    if (skill_sets_.covers(agent.skills, group.skills)) {
      if (const std::optional<int64_t> after = reachedAfter(agent, group.queue)) {
        compat.groups[group.channel].push_back(CompatGroup{compat.checked, *after});
      }
    }
    ++compat.checked;
  }
  // The best so far: its priority and item (queue order is (priority desc, item order)).
  int32_t best_priority = 0;
  const ItemQueue::Item* best = nullptr;
  // Any channel: one item of any channel while it holds nothing (free_channels is empty then).
  const uint32_t channels =
      agent.any_channel ? (agent.active == 0 ? (1u << kChannels) - 1 : 0) : agent.free_channels;
  for (uint32_t free = channels; free != 0; free &= free - 1) {
    const auto channel = static_cast<uint32_t>(std::countr_zero(free));
    for (const CompatGroup& compatible : compat.groups[channel]) {
      const ItemGroup& group = item_groups_[compatible.group];
      if (group.items.empty()) continue;
      // Items enqueued after this have not waited long enough to reach the agent's pools; a
      // level is in enqueued_at order, so its first item too young means all of them are.
      const int64_t latest = now_ns - compatible.after;
      group.items.forEachByLevel([&](int32_t priority, const ItemQueue::Item& item) {
        if (item.enqueued_ns > latest) return ItemQueue::Visit::kNextLevel;
        if (item.declined && declinedBy(entryAt(item.handle), &agent)) {
          return ItemQueue::Visit::kNext;
        }
        if (best == nullptr || priority > best_priority ||
            (priority == best_priority && item < *best)) {
          best_priority = priority;
          best = &item;
        }
        return ItemQueue::Visit::kStop;  // the group's first: what follows ranks lower
      });
    }
  }
  return best == nullptr ? nullptr : &entryAt(best->handle);
}

// Called when `agent` may have become eligible for waiting work. Between calls no queued item
// has an eligible agent, so `agent` is the only candidate for whatever it can serve: it takes
// the first such item in queue order, from the first pool of the item's reach it belongs to
// (or as its sticky agent); repeat while it has free slots.
void DispatchEngine::matchAgent(AgentRecord& agent, TimePoint now, std::string_view causation,
                                Outcome& out) {
  const int64_t now_ns = toUnixNanos(now);
  // Out of the free-agent groups for the loop (nothing here reads them), listed once at the
  // end with what it has left instead of once per item taken.
  unlist(agent);
  while (agent.presence == v1::PRESENCE_AVAILABLE && hasAnyFreeSlot(agent)) {
    WorkEntry* entry = bestItemFor(agent, now_ns);
    if (entry == nullptr) break;
    Choice choice{&agent, kNone, {}, 1};
    for (uint32_t pool : reachOf(*entry)) {
      if (isMember(agent, pool)) {
        choice.pool = pool;
        break;
      }
    }
    if (choice.pool == kNone) break;  // unreachable: the groups matched
    choice.strategy = isSticky(*entry, agent, now_ns)
                          ? kStrategySticky
                          : policy::strategyName(pools_[choice.pool].strategy);
    give(*entry, choice, now, causation, out, /*relist=*/false);
  }
  list(agent);
}

// Matches every queued item in queue order, each against all agents (after a restore or a
// policy reload, when any agent may be eligible for any item).
void DispatchEngine::rebalance(TimePoint now, Outcome& out) {
  std::vector<WorkEntry*> queued;
  for (const WorkEntry* entry : entries_) {
    if (entry->phase == Phase::kQueued) queued.push_back(const_cast<WorkEntry*>(entry));
  }
  std::sort(queued.begin(), queued.end(), queuedBefore);
  for (WorkEntry* entry : queued) matchItem(*entry, now, {}, out);
}

void DispatchEngine::give(WorkEntry& entry, const Choice& choice, TimePoint now,
                          std::string_view causation, Outcome& out, bool relist) {
  AgentRecord& agent = *choice.agent;
  const int64_t now_ns = toUnixNanos(now);
  unqueue(entry);
  heapRemove(entry);
  --queued_count_;
  entry.agent = &agent;
  entry.pool = choice.pool;
  entry.strategy = choice.strategy;
  entry.candidate_count = choice.candidates;
  entry.decided_ns = now_ns;
  unlist(agent);
  holdSlot(agent, entry);
  agent.last_assigned_at = now_ns;
  if (relist) list(agent);
  noteAgent(agent, out);
  const auto timeout = policy_->defaults.reservation_timeout;
  if (timeout > policy::Seconds(0)) {
    entry.phase = Phase::kOffered;
    ++offered_count_;
    entry.expires_ns = now_ns + toNanos(timeout);
    scheduleTimer(entry);
    decide(entry, v1::ASSIGNMENT_STATUS_OFFERED, now, causation, out);
  } else {
    entry.phase = Phase::kAssigned;
    ++assigned_count_;
    decide(entry, v1::ASSIGNMENT_STATUS_ASSIGNED, now, causation, out);
    entry.served = true;
  }
  noteWork(entry, out);
}

Decision& DispatchEngine::decide(WorkEntry& entry, v1::AssignmentStatus status, TimePoint now,
                                 std::string_view causation, Outcome& out) {
  const int64_t now_ns = toUnixNanos(now);
  Decision& d = out.decisions.emplace_back();
  d.status = status;
  d.work = entry.index;
  d.work_item_id = entry.id;
  d.agent_id = entry.agent != nullptr ? entry.agent->key.view : std::string_view();
  d.pool_id = entry.pool != kNone ? pools_[entry.pool].name : std::string_view();
  d.queue_id =
      entry.queue != kNone ? queues_[entry.queue].name : std::string_view(entry.item.queue_id());
  d.strategy = entry.strategy;
  d.causation_id = causation;
  d.channel = entry.channel;
  d.decided_at = now;
  d.enqueued_at = fromNanos(entry.enqueued_ns);
  d.sla_deadline = fromNanos(entry.deadline_ns);
  d.candidate_count = entry.candidate_count;
  d.attempt = entry.attempt;
  d.after_hours = entry.after_hours;
  // Time-dependent facts as of now (an offered item's were frozen when it left the queue).
  int64_t priority = entry.base_priority;
  if (entry.queue != kNone) {
    const QueueInfo& info = queues_[entry.queue];
    const int64_t waited = now_ns - entry.enqueued_ns;
    uint32_t steps = 0;
    while (steps < info.step_after.size() && waited >= info.step_after[steps]) ++steps;
    d.overflow_step = steps;
    if (info.has_risk && now_ns >= entry.deadline_ns - info.risk_within) {
      d.sla_at_risk = true;
      priority += info.risk_add;
    }
    d.overflowed = entry.pool != kNone && !info.reach.empty() && entry.pool != info.reach[0] &&
                   entry.strategy != kStrategySticky;
  }
  d.priority = clampPriority(priority);
  if (status == v1::ASSIGNMENT_STATUS_ASSIGNED) {
    d.first_assignment = !entry.served;
    d.sla_breached = entry.deadline_ns != 0 && now_ns > entry.deadline_ns;
  }
  return d;
}

// The holder gives the item back (rejected, lapsed, agent offline, transferred): REQUEUED,
// the slot is freed and the item waits again with its original enqueued_at, attempt + 1.
void DispatchEngine::takeBack(WorkEntry& entry, std::string_view why, TimePoint now,
                              std::string_view causation, Outcome& out) {
  AgentRecord& agent = *entry.agent;
  decide(entry, v1::ASSIGNMENT_STATUS_REQUEUED, now, causation, out).cause = why;
  heapRemove(entry);
  if (entry.phase == Phase::kOffered) {
    --offered_count_;
  } else {
    --assigned_count_;
  }
  unlist(agent);
  releaseSlot(agent, entry, now);
  list(agent);
  noteAgent(agent, out);
  entry.agent = nullptr;
  entry.pool = kNone;
  entry.strategy = {};
  entry.candidate_count = 0;
  entry.decided_ns = 0;
  entry.expires_ns = 0;
  ++entry.attempt;
  enqueue(entry, toUnixNanos(now));
  noteWork(entry, out);
}

// ---------------------------------------------------------------------------------------------
// Timers

void DispatchEngine::advance(TimePoint now, Outcome& out, bool rematch_due) {
  const int64_t now_ns = toUnixNanos(now);
  if (heap_.empty() || heap_.front().at > now_ns) return prefetchNextTimer();
  std::vector<WorkEntry*>& rematch = scratch_entries_;
  rematch.clear();
  while (!heap_.empty() && heap_.front().at <= now_ns) {
    WorkEntry& entry = entryAt(heap_.front().index);
    setTimerLive(entry, false);
    heapPop();
    heapPrune();
    // The next due timer's entry starts loading while this one is handled.
    if (!heap_.empty() && heap_.front().at <= now_ns) {
      __builtin_prefetch(&entryAt(heap_.front().index));
    }
    if (entry.phase == Phase::kOffered) {
      // The agent let the offer lapse: they are not at their desk. AWAY until they say
      // otherwise, so that no further offers go unanswered; the item goes to someone else.
      AgentRecord& agent = *entry.agent;
      noteDeclined(entry, &agent, now);
      takeBack(entry, cause::kOfferTimeout, now, {}, out);
      unlist(agent);
      setPresence(agent, v1::PRESENCE_AWAY, now);
      rematch.push_back(&entry);
    } else if (entry.phase == Phase::kQueued) {
      const uint32_t before = entry.steps;
      // Everyone eligible may have declined it once: after decline_memory they may be offered
      // it again rather than the item waiting for an agent who never comes.
      const bool forgot = forgetsDeclines(entry, now_ns);
      if (forgot) {
        entry.declined.clear();
        entry.declined_ns = 0;
        noteWork(entry, out);
      }
      refresh(entry, now_ns);
      // Its group stays (overflow steps do not move it); a new rank (the SLA-risk boost) or a
      // forgotten declined list (the queue key's hint) is put in place.
      if (entry.priority != entry.queued_priority || forgot) {
        const uint32_t group = entry.group;
        unqueue(entry);
        entry.group = group;
        insertQueued(entry);
      }
      scheduleTimer(entry);
      for (uint32_t s = before; s < entry.steps; ++s) {
        out.widened.emplace_back(queues_[entry.queue].name);
      }
      if (entry.steps > before || forgot) rematch.push_back(&entry);
    }
  }
  prefetchNextTimer();
  if (!rematch_due) return;  // the caller rebalances the whole queue
  std::sort(rematch.begin(), rematch.end(), queuedBefore);
  for (WorkEntry* entry : rematch) matchItem(*entry, now, {}, out);
}

// The entry of the next timer to fire (an input or two from now, typically) starts loading:
// its scheduling fields span the first cache lines of the entry.
void DispatchEngine::prefetchNextTimer() const {
  if (!heap_.empty()) prefetchLines(&entryAt(heap_.front().index), 3);
}

// 4-ary: the children of `pos` are 4·pos + 1 … 4·pos + 4; a sift visits half the levels of
// a binary heap, and compares keys held in the array, not in the entries.
void DispatchEngine::heapUp(size_t pos) {
  const TimerNode node = heap_[pos];
  while (pos > 0) {
    const size_t parent = (pos - 1) / 4;
    if (heap_[parent].at <= node.at) break;
    heap_[pos] = heap_[parent];
    pos = parent;
  }
  heap_[pos] = node;
}

void DispatchEngine::heapDown(size_t pos) {
  const TimerNode node = heap_[pos];
  const size_t n = heap_.size();
  while (true) {
    const size_t first = 4 * pos + 1;
    if (first >= n) break;
    size_t child = first;
    if (first + 4 <= n) {
      // Every level but the last: a tournament of selects (no branch on the keys, which
      // mispredicted half the time).
      const TimerNode* c = &heap_[first];
      const size_t a = c[1].at < c[0].at ? 1 : 0;
      const size_t b = c[3].at < c[2].at ? 3 : 2;
      child = first + (c[b].at < c[a].at ? b : a);
    } else {
      for (size_t c = first + 1; c < n; ++c) {
        if (heap_[c].at < heap_[child].at) child = c;
      }
    }
    if (heap_[child].at >= node.at) break;
    heap_[pos] = heap_[child];
    pos = child;
  }
  heap_[pos] = node;
}

// Removes the top node.
void DispatchEngine::heapPop() {
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) heapDown(0);
}

// Restores "the top is live" (nextTimer() and advance() read it), and drops every stale node
// once they outnumber the live ones (amortized O(1) per cancelled timer).
void DispatchEngine::heapPrune() {
  while (!heap_.empty() && !live(heap_.front())) {
    heapPop();
    --stale_timers_;
  }
  if (stale_timers_ > 64 && stale_timers_ * 2 > heap_.size()) {
    std::erase_if(heap_, [this](const TimerNode& node) { return !live(node); });
    stale_timers_ = 0;
    for (size_t pos = heap_.size() / 4 + 1; pos-- > 0;) {
      if (pos < heap_.size()) heapDown(pos);
    }
  }
}

void DispatchEngine::heapRemove(WorkEntry& entry) {
  if (!entry.timer_set) return;
  setTimerLive(entry, false);
  ++stale_timers_;
  heapPrune();
}

// Rebuilds every index from the records (after a restore or a policy reload): memberships,
// capacities, free-agent groups, item groups, timers.
void DispatchEngine::rebuildIndexes(int64_t now_ns) {
  agent_groups_.clear();
  agent_group_index_.clear();
  pool_channel_listed_.assign(pools_.size() * (kChannels + 1), {});
  item_groups_.clear();
  item_group_index_.clear();
  compat_.clear();
  spare_agent_nodes_.clear();
  for (const TimerNode& node : heap_) setTimerLive(entryAt(node.index), false);
  heap_.clear();
  stale_timers_ = 0;
  for (const AgentPtr& agent : agents_) {
    agent->listed.clear();
    recomputeMembership(*agent);
    list(*agent);
  }
  for (WorkEntry* owned : entries_) {
    WorkEntry& entry = *owned;
    if (entry.phase == Phase::kQueued) {
      entry.group = kNone;
      enqueue(entry, now_ns);
    } else if (entry.phase == Phase::kOffered) {
      scheduleTimer(entry);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Finished-id memory

void DispatchEngine::rememberFinished(std::string_view work_item_id, uint64_t hash, TimePoint now,
                                      Outcome& out, uint32_t held) {
  // Only a restore from records that had an id both held and finished makes this possible:
  // otherwise a completion skips the second probe of the id's run.
  if (held_ids_may_be_finished_ && remembersFinished(work_item_id, hash)) {
    if (held != kNone) ids_.eraseHandle(hash, held);
    return;
  }
  const uint64_t sequence = next_finished_sequence_++;
  const size_t slot =
      insertFinished(work_item_id, hash, sequence, toUnixNanos(now), &out, false, held);
  out.finished.push_back(FinishedNote{finished_ring_[slot].id, sequence, now});
}

size_t DispatchEngine::insertFinished(std::string_view work_item_id, uint64_t hash,
                                      uint64_t sequence, int64_t at_ns, Outcome* out,
                                      bool restoring, uint32_t held) {
  const size_t pos = finished_next_;
  FinishedSlot& slot = finished_ring_[pos];
  if (!slot.used) {
    ++finished_count_;
  } else {
    ids_.eraseHandle(slot.hash, finishedHandle(pos));
    if (out != nullptr) {
      auto added = std::find_if(out->finished.begin(), out->finished.end(),
                                [&](const FinishedNote& n) { return n.sequence == slot.sequence; });
      if (!restoring && added != out->finished.end()) {
        out->finished.erase(added);  // remembered and forgotten in one call: nothing to store
      } else {
        addForgotten(*out, slot.id);
      }
    }
  }
  // The ring is written in order: its slots hold their ids inline, so that this stays on one
  // or two cache lines the hardware prefetches.
  if (work_item_id.size() <= slot.chars.size()) {
    std::copy(work_item_id.begin(), work_item_id.end(), slot.chars.begin());
    slot.id = std::string_view(slot.chars.data(), work_item_id.size());
  } else {
    slot.long_id.assign(work_item_id);
    slot.id = slot.long_id;
  }
  slot.sequence = sequence;
  slot.at_ns = at_ns;
  slot.hash = hash;
  slot.used = true;
  // A held id turns into the finished one in its own slot (already in cache: the completion
  // looked it up); the erase above may have shifted it, so it is found by (hash, handle).
  if (held == kNone) {
    ids_.insert(slot.id, hash, finishedHandle(pos));
  } else {
    ids_.rekey(hash, held, slot.id, finishedHandle(pos));
  }
  finished_next_ = (pos + 1) % finished_ring_.size();
  // The next insert erases the oldest id from the index: its slot (a random one, by hash)
  // starts loading now, long before that completion needs it.
  if (const FinishedSlot& oldest = finished_ring_[finished_next_]; oldest.used) {
    ids_.prefetch(oldest.hash);
  }
  return pos;
}

}  // namespace switchboard::dispatch
