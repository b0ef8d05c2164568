// DispatchEngine: the routing decisions for one agent pool. It holds the pool's agents
// (presence, per-channel capacity, skills, work in hand) and the pool's queue of waiting work
// items, and after every input assigns waiting work to agents while it can.
//
// Rules (see README.md): the queue is served in order of priority (higher first), then
// enqueued_at (older first), then work_item_id. An agent is eligible for an item when it is
// AVAILABLE, has a free slot for the item's channel and holds every required skill. Among the
// eligible agents the longest-idle one wins: agents with no work in hand first, by earliest
// idle_since; then agents with a spare slot, by earliest last_assigned_at; ties by agent_id.
// An item nobody can serve does not block the items behind it, but a lower item never gets an
// agent that a higher waiting item could use (the queue is matched greedily in order).
//
// Pure: no I/O and no clock; every call carries `now`. Each call reports in an Outcome what
// it changed, so that the caller persists exactly that.
//
// Lifecycle: construct for a pool; to rebuild from persisted state call restoreAgent(),
// restoreQueued() and restoreFinished() for every record, then rebalance() once; then feed
// events. Not thread-safe: an engine belongs to one stage task and its thread.
//
// Cost: the engine indexes free agents and queued items by (channel, skill set), so a decision
// costs O(number of distinct skill-set groups · log n), not O(agents × queue).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "router/dispatch/proto_time.h"
#include "router/dispatch/skill_sets.h"
#include "switchboard/v1/agent_event.pb.h"
#include "switchboard/v1/assignment.pb.h"
#include "switchboard/v1/router_state.pb.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::dispatch {

// Why an input changed nothing. Stable, low-cardinality strings: usable as metric labels.
namespace reason {
inline constexpr std::string_view kOtherPool = "other_pool";
inline constexpr std::string_view kMissingId = "missing_id";
inline constexpr std::string_view kDuplicateWorkItem = "duplicate_work_item";
inline constexpr std::string_view kNoEvent = "no_event";
inline constexpr std::string_view kUnspecifiedPresence = "unspecified_presence";
inline constexpr std::string_view kUnknownAgent = "unknown_agent";
inline constexpr std::string_view kUnknownWorkItem = "unknown_work_item";
// OfferAccepted / OfferRejected: meaningful once reservations (offers) exist.
inline constexpr std::string_view kOfferEventUnused = "offer_event_unused";
}  // namespace reason

inline constexpr std::string_view kStrategyLongestIdle = "longest-idle";
inline constexpr std::string_view kProducer = "router/dispatch";

enum class Disposition {
  kApplied,    // the input was used (it may still have caused no assignment)
  kIgnored,    // not applicable (see reason); no state changed
  kDuplicate,  // a work item already queued, in hand or recently finished; no state changed
};

// What one call changed. Ids name the engine's current records: read them back with agent(),
// queuedItem() to persist them. Lists hold net changes of the call (a work item queued and
// assigned by the same call appears in neither `queued` nor `dequeued`).
struct Outcome {
  Disposition disposition = Disposition::kApplied;
  std::string_view reason;  // one of reason::*, empty when applied
  std::string detail;       // for logs
  std::vector<v1::Assignment> assignments;
  std::vector<std::string> changed_agents;  // persist agent(id)
  std::vector<std::string> queued;          // now waiting: persist queuedItem(id)
  std::vector<std::string> dequeued;        // no longer waiting: erase
  std::vector<v1::FinishedWork> finished;   // newly remembered finished items: persist
  std::vector<std::string> forgotten;       // finished ids no longer remembered: erase

  bool ignored() const { return disposition == Disposition::kIgnored; }
  bool duplicate() const { return disposition == Disposition::kDuplicate; }
  // Empties every list but keeps their capacity, so that a caller can reuse one Outcome.
  void clear();
};

class DispatchEngine {
 public:
  struct Options {
    // How many finished work item ids the engine remembers to recognise late duplicates.
    size_t finished_memory = 10'000;
  };

  explicit DispatchEngine(std::string pool_id) : DispatchEngine(std::move(pool_id), Options{}) {}
  DispatchEngine(std::string pool_id, Options options);
  DispatchEngine(const DispatchEngine&) = delete;
  DispatchEngine& operator=(const DispatchEngine&) = delete;

  const std::string& poolId() const { return pool_id_; }

  // Inputs. Each resets `out` and fills it with what the call changed.
  void onAgentEvent(const v1::AgentEvent& event, TimePoint now, Outcome& out);
  void onWorkItem(v1::WorkItem item, TimePoint now, Outcome& out);
  Outcome onAgentEvent(const v1::AgentEvent& event, TimePoint now);
  Outcome onWorkItem(v1::WorkItem item, TimePoint now);

  // Rebuilding from persisted state, before any input. Each returns false (and changes
  // nothing) for a record of another pool, without id, or already known.
  bool restoreAgent(v1::AgentState state);
  bool restoreQueued(v1::WorkItem item);
  bool restoreFinished(const v1::FinishedWork& finished);
  // Matches whatever restored state allows (normally nothing: state is saved after matching).
  void rebalance(TimePoint now, Outcome& out);

  // Reads, for persistence and metrics.
  const v1::AgentState* agent(std::string_view agent_id) const;
  const v1::WorkItem* queuedItem(std::string_view work_item_id) const;
  size_t queueDepth() const { return queued_.size(); }
  std::optional<TimePoint> oldestEnqueuedAt() const;
  size_t agentCount() const { return agents_.size(); }
  size_t agentCount(v1::Presence presence) const;
  bool remembersFinished(std::string_view work_item_id) const;
  size_t finishedCount() const { return finished_.size(); }

 private:
  // Channel key of the index groups; kAnyChannel holds agents with no known capacities (one
  // item of any channel). Wider than a Channel so that no wire value can collide with it.
  using ChannelKey = int64_t;
  static constexpr ChannelKey kAnyChannel = std::numeric_limits<ChannelKey>::min();

  struct GroupKey {
    ChannelKey channel;
    SkillSetId skills;
    auto operator<=>(const GroupKey&) const = default;
  };

  struct AgentRecord;
  struct QueuedEntry;

  // Order of eligible agents for longest-idle: smaller is better.
  struct AgentRank {
    bool busy = false;  // has work in hand
    int64_t since = 0;  // idle_since when free, last_assigned_at when busy (unix ns)
    std::string_view id;
    AgentRecord* agent = nullptr;
    bool operator<(const AgentRank& o) const {
      if (busy != o.busy) return !busy;
      if (since != o.since) return since < o.since;
      return id < o.id;
    }
  };
  using AgentSet = std::set<AgentRank>;

  // Order of the queue: smaller is served first.
  struct QueueRank {
    int32_t priority = 0;
    int64_t enqueued_at = 0;  // unix ns
    std::string_view id;
    QueuedEntry* entry = nullptr;
    bool operator<(const QueueRank& o) const {
      if (priority != o.priority) return priority > o.priority;
      if (enqueued_at != o.enqueued_at) return enqueued_at < o.enqueued_at;
      return id < o.id;
    }
  };
  using QueueSet = std::set<QueueRank>;

  struct ChannelSlot {
    ChannelKey channel;
    uint32_t max = 0;
    uint32_t used = 0;
  };

  struct AgentRecord {
    v1::AgentState state;
    std::string_view id;             // the key in agents_
    std::vector<ChannelSlot> slots;  // from capacities; empty: one item of any channel
    uint32_t active = 0;             // items in hand (all channels)
    SkillSetId skills = SkillSets::kEmpty;
    // Where the agent is listed in free_agents_ (so that it can be taken out again).
    std::vector<GroupKey> listed_groups;
    AgentRank listed_rank;
  };

  struct QueuedEntry {
    v1::WorkItem item;
    QueueRank rank;
    GroupKey group;
    uint32_t attempt = 1;
  };

  struct Eligible {
    AgentRecord* best = nullptr;
    uint32_t count = 0;
  };

  static void setDisposition(Outcome& out, Disposition disposition, std::string_view why,
                             std::string detail);
  void applyPresence(const v1::AgentEvent& event, TimePoint now, Outcome& out);
  void applyCompleted(const v1::AgentEvent& event, TimePoint now, Outcome& out);

  AgentRecord& insertAgent(v1::AgentState state);
  void rebuildSlots(AgentRecord& agent);
  bool hasFreeSlot(const AgentRecord& agent, ChannelKey channel) const;
  bool hasAnyFreeSlot(const AgentRecord& agent) const;
  void unlist(AgentRecord& agent);
  void list(AgentRecord& agent);
  void countPresence(v1::Presence presence, int delta);

  QueuedEntry& enqueue(v1::WorkItem item, uint32_t attempt);
  void dequeue(QueuedEntry& entry);

  // Matching.
  Eligible eligibleAgents(const QueuedEntry& entry) const;
  QueuedEntry* bestItemFor(const AgentRecord& agent) const;
  void matchItem(QueuedEntry& entry, TimePoint now, std::string_view cause, Outcome& out);
  void matchAgent(AgentRecord& agent, TimePoint now, std::string_view cause, Outcome& out);
  void assign(QueuedEntry& entry, const Eligible& eligible, TimePoint now, std::string_view cause,
              Outcome& out);

  void rememberFinished(const std::string& work_item_id, TimePoint now, Outcome& out);
  static void noteChangedAgent(Outcome& out, std::string_view agent_id);

  std::string pool_id_;
  Options options_;
  SkillSets skill_sets_;

  std::unordered_map<std::string, AgentRecord, StringHash, std::equal_to<>> agents_;
  std::array<size_t, v1::Presence_ARRAYSIZE> presence_counts_{};
  // AVAILABLE agents with a free slot, by (slot channel, the agent's skill set). Only
  // non-empty groups are kept (as in queue_groups_), so scans visit no dead entries.
  std::map<GroupKey, AgentSet> free_agents_;
  // Node handles of AgentSet kept for reuse: re-ranking an agent allocates nothing.
  std::vector<AgentSet::node_type> spare_nodes_;

  std::unordered_map<std::string, QueuedEntry, StringHash, std::equal_to<>> queued_;
  // Waiting items by (channel, required skill set); each set in queue order.
  std::map<GroupKey, QueueSet> queue_groups_;
  // Waiting items by age, for the oldest wait.
  std::set<std::pair<int64_t, std::string_view>> queued_by_age_;

  // Items in hand: work_item_id → the agent holding it.
  std::unordered_map<std::string, AgentRecord*, StringHash, std::equal_to<>> active_;

  // Recently finished items: id → sequence, and sequence → id (oldest forgotten first).
  std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> finished_;
  std::map<uint64_t, std::string> finished_by_sequence_;
  uint64_t next_finished_sequence_ = 1;
};

}  // namespace switchboard::dispatch
