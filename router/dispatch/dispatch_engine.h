// DispatchEngine: the routing decisions of one dispatch domain, driven by the routing policy
// (router/policy). It holds every agent of the domain (presence, stated capacity, skills, work
// offered or in hand) and every work item it was given (queued, offered or in hand), and after
// every input offers or assigns waiting work to agents while it can.
//
// Rules (README.md has them in full): items wait in queue order (policy::QueueRankKey:
// effective priority, then enqueued_at, then sla_deadline, then id), where the effective
// priority adds the queue's SLA-risk boost once the item is inside the risk window. An agent is
// eligible for an item when it is AVAILABLE, belongs to one of the pools the item may use
// after its wait so far (the queue's pool, then each overflow step in force), has a free slot
// for the item's channel, holds every required skill and did not decline or miss the item.
// The customer's last agent gets the item first when eligible and within the sticky grace;
// otherwise the pools are tried in reach order and the first pool with an eligible agent picks
// by its strategy (longest-idle, least-busy, round-robin). The queue is matched greedily in
// order: an item nobody can serve does not block those behind it, and a lower item never gets
// an agent a higher waiting item could use.
//
// Pure: no I/O and no clock; every call carries `now`. Each call reports in an Outcome what it
// changed, so that the caller persists exactly that and publishes the decisions.
//
// Lifecycle: construct for a domain and a policy; to rebuild from persisted state call
// restoreAgent(), then restoreWork(), restoreFinished() for every record, then restored(now)
// once; then feed inputs, tick(now) now and then (timers: overflow, SLA risk, offer expiry; each
// input also fires the timers due) and setPolicy() when the policy is reloaded. The views in an
// Outcome stay valid until the next call on the engine. Not thread-safe: an engine belongs to
// one stage task and its thread.
//
// Cost: free agents are indexed by (pool, channel, skill set) in the pool's strategy order and
// queued items by (channel, skill set, eligible pools) in queue order, so a decision costs
// O(index groups · log n), not O(agents × queue); the steady state allocates nothing.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "router/dispatch/huge_pages.h"
#include "router/dispatch/inline_vector.h"
#include "router/dispatch/item_queue.h"
#include "router/dispatch/proto_time.h"
#include "router/dispatch/skill_sets.h"
#include "router/dispatch/string_index.h"
#include "router/policy/policy.h"
#include "router/policy/routing.h"
#include "switchboard/v1/agent_event.pb.h"
#include "switchboard/v1/assignment.pb.h"
#include "switchboard/v1/customer_event.pb.h"
#include "switchboard/v1/router_state.pb.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::dispatch {

// Why an input changed nothing (or little). Stable, low-cardinality strings: metric labels.
namespace reason {
inline constexpr std::string_view kOtherDomain = "other_domain";
inline constexpr std::string_view kMissingId = "missing_id";
inline constexpr std::string_view kDuplicateWorkItem = "duplicate_work_item";
inline constexpr std::string_view kNoEvent = "no_event";
inline constexpr std::string_view kUnspecifiedPresence = "unspecified_presence";
inline constexpr std::string_view kUnknownAgent = "unknown_agent";
inline constexpr std::string_view kUnknownWorkItem = "unknown_work_item";
// Accept/reject of an item not offered to that agent (never, or the offer lapsed).
inline constexpr std::string_view kUnknownOffer = "unknown_offer";
inline constexpr std::string_view kUnknownQueue = "unknown_queue";
// A follow-up of a conversation already queued or offered: absorbed into that item.
inline constexpr std::string_view kJoinedConversation = "joined_conversation";
}  // namespace reason

// AssignmentReason.cause of REQUEUED decisions.
namespace cause {
inline constexpr std::string_view kRejected = "rejected";
inline constexpr std::string_view kOfferTimeout = "offer_timeout";
inline constexpr std::string_view kAgentOffline = "agent_offline";
inline constexpr std::string_view kTransferred = "transferred";
}  // namespace cause

// AssignmentReason.strategy besides the pool strategies' names ("longest-idle", ...).
inline constexpr std::string_view kStrategySticky = "sticky";
inline constexpr std::string_view kStrategyTransfer = "transfer";
inline constexpr std::string_view kStrategyFollowUp = "conversation";
inline constexpr std::string_view kProducer = "router/dispatch";

enum class Disposition {
  kApplied,    // the input was used (it may still have caused no decision)
  kIgnored,    // not applicable (see reason); no state changed
  kDuplicate,  // a work item already held or recently finished; no state changed
  kJoined,     // a follow-up absorbed into its conversation's queued or offered item
};

// One routing decision, to publish as an Assignment (DispatchEngine::buildAssignment()).
// Views point into the engine and its policy: valid until the next call on the engine.
struct Decision {
  v1::AssignmentStatus status = v1::ASSIGNMENT_STATUS_UNSPECIFIED;
  uint32_t work = 0;  // the engine's handle of the work item (for buildAssignment())
  std::string_view work_item_id;
  std::string_view agent_id;
  std::string_view pool_id;   // the pool the agent was taken from; empty when none
  std::string_view queue_id;  // the item's queue
  std::string_view strategy;
  std::string_view cause;         // REQUEUED: one of cause::*
  std::string_view causation_id;  // event id of the input that caused it; empty for timers
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  TimePoint decided_at;
  TimePoint enqueued_at;
  TimePoint sla_deadline;
  uint32_t candidate_count = 0;
  uint32_t overflow_step = 0;
  uint32_t attempt = 1;
  int32_t priority = 0;
  bool overflowed = false;
  bool sla_at_risk = false;
  bool after_hours = false;
  // ASSIGNED: the item's first assignment, whose time counts for the SLA; breached when
  // decided after the deadline.
  bool first_assignment = false;
  bool sla_breached = false;
  // ASSIGNED: by accepting an offer (false: assigned directly, no reservation step).
  bool accepted = false;
};

// A work item id newly remembered as finished (persist as FinishedWork).
struct FinishedNote {
  std::string_view work_item_id;
  uint64_t sequence = 0;
  TimePoint finished_at;
};

// What one call changed. Lists hold net changes of the call. Reused across calls: clear()
// keeps every list's capacity, so that a caller reusing one Outcome allocates nothing.
struct Outcome {
  Disposition disposition = Disposition::kApplied;
  std::string_view reason;  // one of reason::*, empty when applied
  std::string detail;       // for logs
  std::vector<Decision> decisions;
  std::vector<std::string_view> changed_agents;  // persist agentState(id)
  std::vector<std::string_view> changed_work;    // persist workState(id)
  std::vector<std::string_view> removed_work;    // no longer held: erase
  std::vector<FinishedNote> finished;            // persist finishedWork(note)
  std::vector<std::string> forgotten;            // finished ids no longer remembered: erase
  size_t forgotten_count = 0;                    // forgotten[0, forgotten_count) are valid
  // One entry per overflow step that came into force for a waiting item (the queue's name).
  std::vector<std::string_view> widened;

  bool ignored() const { return disposition == Disposition::kIgnored; }
  bool duplicate() const { return disposition == Disposition::kDuplicate; }
  std::span<const std::string> forgottenIds() const { return {forgotten.data(), forgotten_count}; }
  void clear();
};

class DispatchEngine {
 public:
  using PolicyPtr = std::shared_ptr<const policy::Policy>;
  struct Options {
    // How many finished work item ids the engine remembers to recognise late duplicates.
    size_t finished_memory = 10'000;
  };

  DispatchEngine(std::string domain, PolicyPtr policy) : DispatchEngine(domain, policy, {}) {}
  DispatchEngine(std::string domain, PolicyPtr policy, Options options);
  ~DispatchEngine();
  DispatchEngine(const DispatchEngine&) = delete;
  DispatchEngine& operator=(const DispatchEngine&) = delete;

  const std::string& domain() const { return domain_; }
  const PolicyPtr& policy() const { return policy_; }

  // Inputs. Each resets `out`, fires the timers due at `now`, then applies the input.
  // onWorkItem() swaps the item's contents into the engine: `item` is left holding a recycled
  // WorkItem (of an earlier, finished item), which the caller may destroy or, better, parse the
  // next record into (protobuf reuses its strings), so the steady state allocates nothing.
  void onWorkItem(v1::WorkItem&& item, TimePoint now, Outcome& out);
  void onWorkItem(const v1::WorkItem& item, TimePoint now, Outcome& out) {
    onWorkItem(v1::WorkItem(item), now, out);
  }
  void onAgentEvent(const v1::AgentEvent& event, TimePoint now, Outcome& out);
  void tick(TimePoint now, Outcome& out);
  // A reloaded policy: recomputes memberships, capacities, priorities and reach; re-selects
  // the queue (policy::selectQueue) of items whose queue vanished; keeps every item and
  // holder; then matches what the new policy allows. Same pointer: nothing happens.
  void setPolicy(PolicyPtr policy, TimePoint now, Outcome& out);
  // Conveniences for tests.
  Outcome onWorkItem(v1::WorkItem item, TimePoint now);
  Outcome onAgentEvent(const v1::AgentEvent& event, TimePoint now);
  Outcome tick(TimePoint now);

  // Rebuilding from persisted state, before any input: every agent first, then work and
  // finished records, then restored() once. Each returns false (and changes nothing) for a
  // record of another domain, without id, or already known.
  bool restoreAgent(const v1::AgentState& state);
  bool restoreWork(v1::WorkState state);
  bool restoreFinished(const v1::FinishedWork& finished);
  // Builds the indexes, fires the timers due at `now` and matches what the state allows.
  void restored(TimePoint now, Outcome& out);

  // Records to persist, filled into caller-owned (reusable) messages. False when unknown.
  bool agentState(std::string_view agent_id, v1::AgentState& out) const;
  bool workState(std::string_view work_item_id, v1::WorkState& out) const;
  void finishedWork(const FinishedNote& note, v1::FinishedWork& out) const;
  // The Assignment of a decision, without its work_item (the caller attaches decisionItem(),
  // e.g. by appending its serialized bytes as field 13, which avoids copying the WorkItem).
  void buildAssignment(const Decision& decision, v1::Assignment& out) const;
  const v1::WorkItem& decisionItem(const Decision& decision) const;
  // The CustomerEvent of a decision (ServedBy for ASSIGNED/APPENDED, WorkFinished for
  // COMPLETED); false when there is none (other statuses, no customer id).
  bool buildCustomerEvent(const Decision& decision, v1::CustomerEvent& out) const;

  // Reads, for metrics and tests.
  struct QueueStats {
    std::string_view queue;  // the item's queue_id
    size_t depth = 0;
    TimePoint oldest_enqueued_at;
  };
  // One entry per queue with waiting items, in no particular order. O(queued items).
  void queueStats(std::vector<QueueStats>& out) const;
  size_t queueDepth() const { return queued_count_; }
  std::optional<TimePoint> oldestEnqueuedAt() const;
  size_t offeredCount() const { return offered_count_; }
  size_t inHandCount() const { return assigned_count_; }
  size_t agentCount() const { return agents_.size(); }
  size_t agentCount(v1::Presence presence) const;
  // Slots of AVAILABLE agents: held (offered or assigned) and total. O(agents).
  struct Occupancy {
    uint64_t used = 0;
    uint64_t total = 0;
  };
  Occupancy occupancy() const;
  // Items whose queue is unknown to the policy or served by pools of another domain: kept,
  // but no agent of this domain can take them until the policy changes.
  size_t strandedCount() const;
  bool remembersFinished(std::string_view work_item_id) const;
  size_t finishedCount() const { return finished_count_; }
  const v1::WorkItem* workItem(std::string_view work_item_id) const;
  std::optional<TimePoint> nextTimer() const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr size_t kChannels = v1::Channel_ARRAYSIZE;
  static constexpr size_t kAnyChannel = kChannels;  // slot key of "one item of any channel"

  struct AgentRecord;
  struct WorkEntry;

  enum class Phase : uint8_t { kFree, kQueued, kOffered, kAssigned, kTransient };

  // An agent's place in a pool's free-agent group: smaller is better. (a, b) encode the
  // pool's strategy (see agentRank()); ties by agent id.
  struct AgentRank {
    int64_t a = 0;
    int64_t b = 0;
    std::string_view id;
    AgentRecord* agent = nullptr;
    bool operator<(const AgentRank& o) const {
      if (a != o.a) return a < o.a;
      if (b != o.b) return b < o.b;
      return id < o.id;
    }
  };
  using AgentSet = std::set<AgentRank>;

  struct AgentGroup {
    uint32_t pool = 0;
    uint32_t channel = 0;  // a Channel, or kAnyChannel
    SkillSetId skills = 0;
    uint32_t listed_at = kNone;  // its place in pool_channel_listed_ while it has agents
    AgentSet agents;
  };
  // An agent group with agents in it, as choose() reads it: the skills it filters on and the
  // group's size and best agent inline, so that a scan over the groups of a (pool, channel)
  // reads one array and visits no empty group and no group whose skills fall short.
  struct ListedGroup {
    SkillSetId skills = 0;
    uint32_t group = 0;
    uint32_t size = 0;
    const AgentRank* first = nullptr;  // of agent_groups_[group].agents
  };
  // Queued items of one (channel, required skills, queue). Not of the pools in force: an item
  // crossing an overflow step stays where it is (agents of the pool it reaches see it by its
  // age, see Compat), so only an SLA-risk boost, which changes its priority, moves it.
  struct ItemGroup {
    uint32_t channel = 0;
    SkillSetId skills = 0;
    uint32_t queue = kNone;
    ItemQueue items;
  };

  struct Slot {
    uint32_t max = 0;
    uint32_t used = 0;
  };

  // Item groups an agent signature (skill set, pool set) may serve, by channel (a freed agent
  // has a free slot on one or two channels: the groups of the others are not even read);
  // extended lazily as new item groups appear. `after`: how long an item of the group must have
  // waited before the signature's pools are in its reach (0: the queue's own pool; else the
  // first overflow step that reaches one of them).
  struct CompatGroup {
    uint32_t group = 0;
    int64_t after = 0;  // ns
  };
  struct Compat {
    uint32_t checked = 0;  // item groups examined so far
    std::array<std::vector<CompatGroup>, kChannels> groups;
  };

  // A copy of a record's id kept in the record itself, which the hash indexes point at: a
  // lookup that finds the record compares the key on a cache line it reads anyway, instead
  // of following the std::string to its characters. Longer ids are not copied (view of the
  // original).
  static constexpr size_t kInlineId = 48;
  struct InlineId {
    std::array<char, kInlineId> chars;
    std::string_view view;
    void set(std::string_view id);
  };

  // Laid out by use: a lookup compares the key (line 0); matching and the free-agent lists
  // read the next lines (line 1: state and ranks, then slots, items held, memberships); the
  // rest is read when the agent changes or is persisted.
  static constexpr size_t kHeldInline = 8;  // items in hand kept in the record (spills beyond)
  struct alignas(64) AgentRecord {
    InlineId key;  // of `id`
    v1::Presence presence = v1::PRESENCE_UNSPECIFIED;
    SkillSetId skills = SkillSets::kEmpty;
    SetId pool_set = IdSets::kEmpty;
    uint32_t active = 0;       // items offered or assigned
    bool any_channel = false;  // no capacity known: one item of any channel
    // Bit c set while slots[c] has room: list() and bestItemFor() visit only those channels,
    // and an agent with every slot taken (the steady state) costs them one test.
    uint32_t free_channels = 0;
    uint32_t index = 0;
    Compat* compat = nullptr;
    int64_t idle_since = 0;  // unix ns; 0 = unset
    int64_t last_assigned_at = 0;
    uint64_t noted_call = 0;
    std::array<Slot, kChannels> slots{};
    InlineVector<WorkEntry*, kHeldInline> holding;  // offered and assigned items, oldest first
    // Free-agent groups it is listed in, with its node there (extracted without a search).
    std::vector<std::pair<uint32_t, AgentSet::iterator>> listed;
    // Its agent group per (member pool position, channel slot key); kNone until first used.
    // Reset with the memberships (recomputeMembership()), which every index rebuild redoes.
    std::vector<uint32_t> group_of;
    std::vector<uint32_t> pools;  // member pools, in policy order
    std::string id;
    std::string display_name;
    std::vector<std::string> skill_names;
    std::array<std::optional<uint32_t>, kChannels> stated{};  // PresenceChanged.capacities
    bool stated_any = false;
  };

  // Laid out by path, a cache line or two each, so that a cold entry costs few misses: lines
  // 0–1 hold what scheduling reads (a timer firing, queue order, the item group: advance()
  // prefetches them with the next timer's entry), line 2 the holder and the decision (an offer,
  // an assignment, a completion), line 3 the id's characters (lookups compare them), and the
  // message comes last.
  struct alignas(64) WorkEntry {
    // Lines 0–1: scheduling.
    uint32_t index = 0;
    Phase phase = Phase::kFree;
    bool at_risk = false;
    bool timer_set = false;    // timer_ns is pending: heap_ has a live node for it
    bool after_hours = false;  // item.after_hours()
    v1::Channel channel = v1::CHANNEL_UNSPECIFIED;  // item.channel()
    uint32_t queue = kNone;                         // index in policy_->queues
    SkillSetId skills = SkillSets::kEmpty;
    int32_t base_priority = 0;
    int32_t priority = 0;    // effective
    uint32_t steps = 0;      // overflow steps in force
    uint32_t group = kNone;  // item group while queued
    // The priority it was queued under in item_groups_[group] while group != kNone: with
    // enqueued_ns, deadline_ns, id and index (which do not change while it is queued) the key
    // that removes it (queuedItem()).
    int32_t queued_priority = 0;
    uint32_t timer_seq = 0;  // of its live node; never reset (older nodes must not match)
    int64_t enqueued_ns = 0;
    int64_t deadline_ns = 0;
    int64_t timer_ns = 0;
    int64_t declined_ns = 0;  // when `declined` last grew (decline_memory counts from here)
    std::string_view id;      // item.work_item_id(): key_chars, or the item's when longer
    std::vector<AgentRecord*> declined;
    uint64_t noted_call = 0;

    // Line 2: the holder and the decision.
    alignas(64) AgentRecord* agent = nullptr;  // holder when offered or assigned
    std::string_view strategy;                 // of the current offer/assignment (static strings)
    int64_t decided_ns = 0;
    int64_t expires_ns = 0;  // offer expiry
    uint32_t pool = kNone;   // the pool the holder was taken from
    uint32_t candidate_count = 0;
    uint32_t attempt = 1;
    bool served = false;                // ASSIGNED once (SLA counted)
    bool conversation_indexed = false;  // conversation_index_ maps its conversation to it
    bool sticky_candidate = false;      // the item names a last agent and when they served it
    uint64_t conversation_hash = 0;

    // Line 3: the id's characters, which ids_ points at.
    alignas(64) std::array<char, kInlineId> key_chars;
    uint64_t id_hash = 0;  // StringIndex::hashOf(work_item_id), once indexed

    v1::WorkItem item;
  };

  // What the hot paths read of the policy's pools and queues, compact (the policy's own
  // records are large and scattered): names are views of the policy's.
  struct PoolInfo {
    std::string_view name;
    bool in_domain = false;
    policy::Strategy strategy = policy::Strategy::kLongestIdle;
    int64_t sticky_grace_ns = 0;
  };
  struct QueueInfo {
    std::string_view name;
    std::vector<uint32_t> reach;      // pool indices: the pool, then each overflow pool
    std::vector<int64_t> step_after;  // ns
    bool has_risk = false;
    int64_t risk_within = 0;
    int32_t risk_add = 0;
    bool served_here = false;  // its pool is in this domain
  };

  // Timers: a 4-ary min-heap of (moment, entry), the moment inline so that sifting compares
  // without visiting the entries. Cancelled or moved timers are not searched for: their node
  // goes stale (its seq no longer the entry's) and is dropped when it reaches the top, or when
  // stale nodes outnumber live ones. So sifting never writes to the entries either, and
  // telling a live node from a stale one reads timer_live_, not the entry. 16 bytes: a node's
  // four children span one or two cache lines.
  struct TimerNode {
    int64_t at = 0;
    uint32_t index = 0;  // of the entry (entryAt())
    uint32_t seq = 0;
  };

  struct Choice {
    AgentRecord* agent = nullptr;
    uint32_t pool = kNone;
    std::string_view strategy;
    uint32_t candidates = 0;
  };

  // Inputs.
  void begin(Outcome& out);
  void applyPresence(const v1::AgentEvent& event, TimePoint now, Outcome& out);
  // `agent_hash`, `work_hash`: StringIndex::hashOf() of the agent and work item ids.
  void applyCompleted(const v1::AgentEvent& event, uint64_t agent_hash, uint64_t work_hash,
                      TimePoint now, Outcome& out);
  void applyAccepted(const v1::AgentEvent& event, TimePoint now, Outcome& out);
  void applyRejected(const v1::AgentEvent& event, TimePoint now, Outcome& out);
  void applyTransfer(const v1::AgentEvent& event, TimePoint now, Outcome& out);
  static void setDisposition(Outcome& out, Disposition d, std::string_view why, std::string detail);
  WorkEntry* heldBy(const AgentRecord& agent, std::string_view work_item_id) const;
  WorkEntry* heldBy(const AgentRecord& agent, std::string_view work_item_id, uint64_t hash) const;

  // Policy.
  void loadPolicy();
  uint32_t queueIndex(std::string_view name) const;
  void resolveQueue(WorkEntry& entry, TimePoint now, bool recompute);

  // Agents.
  AgentRecord& agentFor(std::string_view id);
  AgentRecord* findAgent(std::string_view id) const;
  AgentRecord* findAgent(std::string_view id, uint64_t hash) const;
  void recomputeMembership(AgentRecord& agent);
  void recomputeSlots(AgentRecord& agent);
  // free_channels' bit for `channel`, after its slot changed.
  static void syncFreeChannel(AgentRecord& agent, uint32_t channel);
  bool hasFreeSlot(const AgentRecord& agent, uint32_t channel) const;
  bool hasAnyFreeSlot(const AgentRecord& agent) const;
  AgentRank agentRank(const AgentRecord& agent, uint32_t pool) const;
  void unlist(AgentRecord& agent);
  void list(AgentRecord& agent);
  void setPresence(AgentRecord& agent, v1::Presence presence, TimePoint now);
  void holdSlot(AgentRecord& agent, WorkEntry& entry);
  void releaseSlot(AgentRecord& agent, WorkEntry& entry, TimePoint now);
  bool isMember(const AgentRecord& agent, uint32_t pool) const;
  bool eligibleIn(const AgentRecord& agent, const WorkEntry& entry, uint32_t pool) const;
  static bool declinedBy(const WorkEntry& entry, const AgentRecord* agent);
  static void noteDeclined(WorkEntry& entry, AgentRecord* agent, TimePoint now);
  // The queued item's declined list has been kept for decline_memory: forget it.
  bool forgetsDeclines(const WorkEntry& entry, int64_t now_ns) const;
  uint32_t agentGroup(uint32_t pool, uint32_t channel, SkillSetId skills);
  // After agents joined or left agent_groups_[group]: its entry in pool_channel_listed_.
  void syncListed(uint32_t group);
  Compat* compatFor(SkillSetId skills, SetId pools);
  void noteAgent(AgentRecord& agent, Outcome& out);

  // Work.
  WorkEntry& allocateEntry();
  void freeEntry(WorkEntry& entry);
  void adoptItem(WorkEntry& entry);
  // `conversation_absent`: the caller found no entry of its conversation (skips a lookup).
  void indexEntry(WorkEntry& entry, uint64_t id_hash, uint64_t conversation_hash,
                  bool conversation_absent = false);
  void insertQueued(WorkEntry& entry);
  static ItemQueue::Item queuedItem(const WorkEntry& entry);
  void refresh(WorkEntry& entry, int64_t now_ns);
  // How long an item of `queue` waits before `agent`'s pools are in its reach; none: never.
  std::optional<int64_t> reachedAfter(const AgentRecord& agent, uint32_t queue) const;
  void enqueue(WorkEntry& entry, int64_t now_ns);
  void unqueue(WorkEntry& entry);
  void requeue(WorkEntry& entry, TimePoint now);
  uint32_t itemGroup(uint32_t channel, SkillSetId skills, uint32_t queue);
  std::span<const uint32_t> reachOf(const WorkEntry& entry) const;
  void noteWork(WorkEntry& entry, Outcome& out);
  // Queue order of queued entries (as of their last refresh()).
  static bool queuedBefore(const WorkEntry* a, const WorkEntry* b);
  void scheduleTimer(WorkEntry& entry);

  // Matching.
  Choice choose(const WorkEntry& entry, int64_t now_ns) const;
  std::optional<int64_t> stickyGrace(const WorkEntry& entry) const;
  bool isSticky(const WorkEntry& entry, const AgentRecord& agent, int64_t now_ns) const;
  void matchItem(WorkEntry& entry, TimePoint now, std::string_view causation, Outcome& out);
  void matchAgent(AgentRecord& agent, TimePoint now, std::string_view causation, Outcome& out);
  WorkEntry* bestItemFor(AgentRecord& agent, int64_t now_ns);
  void rebalance(TimePoint now, Outcome& out);
  // `relist`: list the agent in the free-agent groups again (matchAgent() does it once after).
  void give(WorkEntry& entry, const Choice& choice, TimePoint now, std::string_view causation,
            Outcome& out, bool relist = true);
  Decision& decide(WorkEntry& entry, v1::AssignmentStatus status, TimePoint now,
                   std::string_view causation, Outcome& out);
  void takeBack(WorkEntry& entry, std::string_view why, TimePoint now, std::string_view causation,
                Outcome& out);

  // Timers.
  // Fires the timers due at `now`; `rematch_due`: matches the items they made servable (else
  // the caller rebalances everything).
  void advance(TimePoint now, Outcome& out, bool rematch_due = true);
  void heapRemove(WorkEntry& entry);
  void prefetchNextTimer() const;
  bool live(const TimerNode& node) const { return timer_live_[node.index] == node.seq; }
  void setTimerLive(WorkEntry& entry, bool live) {
    entry.timer_set = live;
    timer_live_[entry.index] = live ? entry.timer_seq : 0;
  }
  void heapPop();
  void heapPrune();
  void heapUp(size_t pos);
  void heapDown(size_t pos);
  void rebuildIndexes(int64_t now_ns);

  // Work item ids (ids_).
  static constexpr uint32_t kFinishedBit = 1u << 31;  // entry indices stay below it
  static bool isFinished(uint32_t handle) { return (handle & kFinishedBit) != 0; }
  static uint32_t finishedHandle(size_t ring_position) {
    return kFinishedBit | static_cast<uint32_t>(ring_position);
  }
  // The index of the entry holding `work_item_id`, or StringIndex::kNone. `hash`: hashOf(id).
  uint32_t findWork(std::string_view work_item_id, uint64_t hash) const;

  // Finished-id memory. `held`: the entry index under which ids_ holds the id, whose slot then
  // becomes the finished one (kNone: the id is not held).
  bool remembersFinished(std::string_view work_item_id, uint64_t hash) const;
  void rememberFinished(std::string_view work_item_id, uint64_t hash, TimePoint now, Outcome& out,
                        uint32_t held = kNone);
  size_t insertFinished(std::string_view work_item_id, uint64_t hash, uint64_t sequence,
                        int64_t at_ns, Outcome* out, bool restoring, uint32_t held = kNone);

  std::string domain_;
  PolicyPtr policy_;
  PolicyPtr retired_policy_;  // kept until the next call: decisions may point into it
  Options options_;
  uint64_t call_ = 0;
  int64_t decline_memory_ns_ = 0;  // policy defaults.decline_memory; 0: never forget

  SkillSets skill_sets_;
  IdSets pool_sets_;
  std::vector<PoolInfo> pools_;
  std::vector<QueueInfo> queues_;
  std::unordered_map<std::string_view, uint32_t> queue_index_;

  // Agent records and work entry chunks on huge pages (huge_pages.h); the slabs are declared
  // before what lives in them, so that they are destroyed after.
  HugeSlab agent_slab_{sizeof(AgentRecord), alignof(AgentRecord), 64};
  HugeSlab entry_slab_{sizeof(WorkEntry) * kEntryChunk, alignof(WorkEntry), 4};
  using AgentPtr = std::unique_ptr<AgentRecord, DestroyInPlace<AgentRecord>>;
  std::vector<AgentPtr> agents_;
  StringIndex agent_index_;
  std::array<size_t, v1::Presence_ARRAYSIZE> presence_counts_{};

  std::vector<AgentGroup> agent_groups_;
  std::unordered_map<uint64_t, uint32_t> agent_group_index_;
  // Per (pool, channel slot key): its agent groups that have agents listed, in no particular
  // order (choose() takes the best of their best agents, whatever the order).
  std::vector<std::vector<ListedGroup>> pool_channel_listed_;
  std::vector<AgentSet::node_type> spare_agent_nodes_;

  std::vector<ItemGroup> item_groups_;
  std::unordered_map<uint64_t, uint32_t> item_group_index_;
  std::unordered_map<uint64_t, Compat> compat_;

  // Work entries live in chunks that never move, so that an index (a handle in ids_, the item
  // queues, the timer heap) leads to its entry through the short chunk table, which stays in
  // cache, where a table of a pointer per entry cost a cache miss per lookup.
  static constexpr uint32_t kEntryChunk = 256;
  WorkEntry& entryAt(uint32_t index) const {
    return entry_chunks_[index / kEntryChunk][index % kEntryChunk];
  }
  std::vector<std::unique_ptr<WorkEntry[], DestroyInPlace<WorkEntry, kEntryChunk>>> entry_chunks_;
  std::vector<WorkEntry*> entries_;  // every entry, by index: for the scans over all of them
  std::vector<uint32_t> free_entries_;
  std::vector<uint32_t> released_entries_;  // freed this call: reusable from the next one
  // Work item ids: of the entries held (queued, offered, in hand) → entry index, and of the
  // finished ones remembered → finishedHandle(ring position). One index, so that an arrival
  // checks both with one probe and a completion turns the held id into the finished one in its
  // slot: one random slot per id instead of two.
  StringIndex ids_;
  StringIndex conversation_index_;  // conversation_id → entry
  size_t queued_count_ = 0;
  size_t offered_count_ = 0;
  size_t assigned_count_ = 0;

  std::vector<TimerNode, HugePageAllocator<TimerNode>>
      heap_;                 // 4-ary min-heap by `at`; the top is always live
  size_t stale_timers_ = 0;  // stale nodes in heap_
  // By entry index: the seq of the entry's live node, 0 when it has none. A compact copy of
  // (timer_set, timer_seq), so that pruning stale nodes costs no cache miss per entry.
  std::vector<uint32_t, HugePageAllocator<uint32_t>> timer_live_;
  std::vector<WorkEntry*> scratch_entries_;  // advance(): items to match again

  struct FinishedSlot {
    std::string_view id;  // into `chars`, or `long_id` when it does not fit
    std::array<char, kInlineId> chars;
    std::string long_id;
    uint64_t sequence = 0;
    int64_t at_ns = 0;
    uint64_t hash = 0;  // StringIndex::hashOf(id)
    bool used = false;
  };
  std::vector<FinishedSlot, HugePageAllocator<FinishedSlot>> finished_ring_;
  size_t finished_next_ = 0;   // ring position of the next insert (the oldest when full)
  size_t finished_count_ = 0;  // ring slots in use
  // A restore remembered as finished an id it also holds (records written across a crash):
  // from then on rememberFinished() checks for the finished id before adding it.
  bool held_ids_may_be_finished_ = false;
  uint64_t next_finished_sequence_ = 1;
  std::vector<v1::FinishedWork> restored_finished_;
  std::vector<WorkEntry*> restore_fixups_;  // restored as queued although held: persist again
};

}  // namespace switchboard::dispatch
