// DispatchProbe: the dispatch stage's metrics. Labels carry domains, queues, pools, channels,
// presences, outcomes and reasons, never agent, customer or work item ids. Pool labels are the
// policy's pool names ("none" for a transfer to a named agent, which no pool chose).
//   switchboard_router_offers_total{pool,channel}                  counter
//   switchboard_router_assignments_total{pool,channel}             counter (ASSIGNED)
//   switchboard_router_time_to_offer_seconds{pool,channel}         histogram, 50 ms … 1 day
//   switchboard_router_time_to_assign_seconds{pool,channel}        histogram, 50 ms … 1 day
//   switchboard_router_sla_total{channel,queue,pool,outcome}       counter, attained|breached,
//                                                                  at an item's first ASSIGNED
//   switchboard_router_reservations_total{outcome}                 counter: accepted, rejected,
//                                       offer_timeout, agent_offline, transferred
//   switchboard_router_appended_total{channel}                     counter (follow-ups)
//   switchboard_router_overflow_widenings_total{queue}             counter
//   switchboard_router_queue_depth{domain,queue}                   gauge  } as of the last
//   switchboard_router_oldest_wait_seconds{domain,queue}           gauge  } tick (or open) of
//   switchboard_router_agents{domain,presence}                     gauge  } the domain's task
//   switchboard_router_agent_slots{domain,state}                   gauge  } (used | total, of
//                                                                           AVAILABLE agents)
//   switchboard_router_pool_queue_depth{domain,pool}               gauge  } per pool of the
//   switchboard_router_pool_oldest_wait_seconds{domain,pool}       gauge  } domain, same moments
//   switchboard_router_pool_agents{domain,pool,presence}           gauge  }
//   switchboard_router_pool_agent_slots{domain,pool,state}         gauge  }
//   switchboard_router_stranded_items{domain}                      gauge: queued items no pool
//                                                                  of the domain can serve
//   switchboard_router_input_ignored_total{reason}                 counter
// Per pool: a waiting item counts in every pool it may use now, i.e. its queue's pool and the
// pool of each overflow step in force after its wait so far (the engine's eligibility rule), so
// the pools' depths do not add up to the queues' (an overflowed item is in several pools). An
// agent counts in every pool it is a member of; its slots are its total capacity, as in
// agent_slots. The engine has no per-pool read, so the probe mirrors what the stage persists
// (queued items: queue and enqueued_at; agents: presence, skills, stated capacities, items in
// hand) and evaluates the policy over that mirror at each tick: O(queued items · reach +
// agents · pools), memberships cached per agent and policy.
// Created once per stage; metric handles are cached so that the hot path does not rebuild
// label maps. Used from the stage runner's thread only (prometheus-cpp's metrics are themselves
// safe to scrape concurrently).
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "core/metrics/metrics_registry.h"
#include "router/dispatch/dispatch_engine.h"
#include "router/policy/policy.h"
#include "switchboard/v1/router_state.pb.h"

namespace switchboard::router {

class DispatchProbe {
 public:
  explicit DispatchProbe(metrics::MetricsRegistry& registry);
  DispatchProbe(const DispatchProbe&) = delete;
  DispatchProbe& operator=(const DispatchProbe&) = delete;

  // One published decision of the engine.
  void decided(const dispatch::Decision& decision);
  void overflowWidened(std::string_view queue);
  void inputIgnored(std::string_view reason);
  // Sets the domain's gauges from the engine, as of `now`. O(queued items + agents).
  void domainObserved(const dispatch::DispatchEngine& engine, dispatch::TimePoint now);
  // The domain's partition moved away: its gauges and mirror are dropped (another process
  // reports them).
  void domainClosed(std::string_view domain);

  // The mirror behind the per-pool gauges: the stage passes every work and agent record it
  // persists or erases. domainReset() forgets a domain's mirror (before a task is rebuilt).
  void workChanged(std::string_view domain, const v1::WorkState& state);
  void workRemoved(std::string_view domain, std::string_view work_item_id);
  void agentChanged(std::string_view domain, const v1::AgentState& state);
  void domainReset(std::string_view domain);

  // "chat", "email", ... for a channel label; "unknown" for a value this build does not know.
  static std::string channelLabel(v1::Channel channel);
  // The pool's name, or "none" when no pool chose the agent (transfer to a named agent).
  static std::string poolLabel(std::string_view pool);

 private:
  static constexpr std::array<v1::Presence, 3> kPresences = {
      v1::PRESENCE_AVAILABLE, v1::PRESENCE_AWAY, v1::PRESENCE_OFFLINE};

  struct QueueGauges {
    prometheus::Gauge* depth = nullptr;
    prometheus::Gauge* oldest_wait = nullptr;
  };
  struct PoolGauges {
    prometheus::Gauge* depth = nullptr;
    prometheus::Gauge* oldest_wait = nullptr;
    std::array<prometheus::Gauge*, kPresences.size()> agents{};
    prometheus::Gauge* slots_used = nullptr;
    prometheus::Gauge* slots_total = nullptr;
  };
  // Per pool of the policy, while observing.
  struct PoolTally {
    bool in_domain = false;
    uint64_t depth = 0;
    int64_t oldest_enqueued_ns = 0;
    std::array<uint64_t, kPresences.size()> agents{};
    uint64_t slots_used = 0;
    uint64_t slots_total = 0;
  };
  struct Hash {
    using is_transparent = void;  // look up by string_view without allocating
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // A queued item as persisted (WORK_PHASE_QUEUED records only).
  struct MirroredItem {
    std::string queue;
    int64_t enqueued_ns = 0;
  };
  struct MirroredAgent {
    v1::Presence presence = v1::PRESENCE_UNSPECIFIED;
    std::vector<std::string> skills;
    std::array<std::optional<uint32_t>, v1::Channel_ARRAYSIZE> stated{};
    bool stated_any = false;
    uint32_t active = 0;  // items offered or in hand
    // Under the policy of `generation` (0: to compute): member pools of the domain and total
    // slots, as DispatchEngine::recomputeMembership/recomputeSlots derive them.
    uint64_t generation = 0;
    std::vector<uint32_t> pools;
    uint64_t total_slots = 0;
  };
  struct DomainGauges {
    std::array<prometheus::Gauge*, kPresences.size()> agents{};
    prometheus::Gauge* slots_used = nullptr;
    prometheus::Gauge* slots_total = nullptr;
    prometheus::Gauge* stranded = nullptr;
    std::map<std::string, QueueGauges, std::less<>> queues;
    std::map<std::string, PoolGauges, std::less<>> pools;
  };
  struct DomainMirror {
    std::unordered_map<std::string, MirroredItem, Hash, std::equal_to<>> queued;
    std::unordered_map<std::string, MirroredAgent, Hash, std::equal_to<>> agents;
  };
  struct PoolChannel {
    prometheus::Counter* count = nullptr;
    prometheus::Histogram* wait = nullptr;
  };

  prometheus::Counter& counter(prometheus::Family<prometheus::Counter>& family,
                               const prometheus::Labels& labels);
  PoolChannel& poolChannel(bool offer, std::string_view pool, v1::Channel channel);
  DomainMirror& mirror(std::string_view domain);
  void observePools(const dispatch::DispatchEngine& engine, dispatch::TimePoint now,
                    DomainGauges& gauges);
  PoolGauges& poolGauges(DomainGauges& gauges, const std::string& domain, const std::string& pool);
  void removePoolGauges(PoolGauges& gauges);
  static void computeMembership(const policy::Policy& policy, std::string_view domain,
                                std::string_view agent_id, MirroredAgent& agent);

  prometheus::Family<prometheus::Counter>& offers_;
  prometheus::Family<prometheus::Counter>& assignments_;
  prometheus::Family<prometheus::Histogram>& time_to_offer_;
  prometheus::Family<prometheus::Histogram>& time_to_assign_;
  prometheus::Family<prometheus::Counter>& sla_;
  prometheus::Family<prometheus::Counter>& reservations_;
  prometheus::Family<prometheus::Counter>& appended_;
  prometheus::Family<prometheus::Counter>& widenings_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& oldest_wait_;
  prometheus::Family<prometheus::Gauge>& agents_;
  prometheus::Family<prometheus::Gauge>& slots_;
  prometheus::Family<prometheus::Gauge>& pool_depth_;
  prometheus::Family<prometheus::Gauge>& pool_oldest_wait_;
  prometheus::Family<prometheus::Gauge>& pool_agents_;
  prometheus::Family<prometheus::Gauge>& pool_slots_;
  prometheus::Family<prometheus::Gauge>& stranded_;
  prometheus::Family<prometheus::Counter>& input_ignored_;

  // Handles by (family, label values): built once per label set, then reused.
  std::map<std::tuple<const void*, std::string, std::string, std::string, std::string>,
           prometheus::Counter*>
      counters_;
  std::map<std::tuple<bool, std::string, int>, PoolChannel, std::less<>> pool_channels_;
  std::map<std::string, DomainGauges, std::less<>> domains_;
  std::map<std::string, DomainMirror, std::less<>> mirrors_;
  std::vector<dispatch::DispatchEngine::QueueStats> stats_;  // reused
  std::vector<PoolTally> tallies_;                           // reused
  // Queue and pool name → index in the policy's lists, for `indexed_policy_`, whose every
  // change bumps `generation_` (agents' memberships are then computed again).
  std::shared_ptr<const policy::Policy> indexed_policy_;
  uint64_t generation_ = 0;
  std::unordered_map<std::string_view, uint32_t> queue_index_;
  std::unordered_map<std::string_view, uint32_t> pool_index_;
};

}  // namespace switchboard::router
