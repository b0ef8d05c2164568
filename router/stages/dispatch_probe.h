// DispatchProbe: the dispatch stage's metrics. Labels carry domains, queues, pools, channels,
// presences, outcomes and reasons, never agent, customer or work item ids.
//   switchboard_router_offers_total{pool,channel}                  counter
//   switchboard_router_assignments_total{pool,channel}             counter (ASSIGNED)
//   switchboard_router_time_to_offer_seconds{pool,channel}         histogram, 1 s … 1 day
//   switchboard_router_time_to_assign_seconds{pool,channel}        histogram, 1 s … 1 day
//   switchboard_router_sla_total{channel,queue,outcome}            counter, attained|breached,
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
//   switchboard_router_stranded_items{domain}                      gauge: queued items no pool
//                                                                  of the domain can serve
//   switchboard_router_input_ignored_total{reason}                 counter
// Created once per stage; metric handles are cached so that the hot path does not rebuild
// label maps. Used from the stage runner's thread only (prometheus-cpp's metrics are themselves
// safe to scrape concurrently).
#pragma once

#include <array>
#include <chrono>
#include <map>
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
  // The domain's partition moved away: its gauges are dropped (another process reports them).
  void domainClosed(std::string_view domain);

  // "chat", "email", ... for a channel label; "unknown" for a value this build does not know.
  static std::string channelLabel(v1::Channel channel);

 private:
  static constexpr std::array<v1::Presence, 3> kPresences = {
      v1::PRESENCE_AVAILABLE, v1::PRESENCE_AWAY, v1::PRESENCE_OFFLINE};

  struct QueueGauges {
    prometheus::Gauge* depth = nullptr;
    prometheus::Gauge* oldest_wait = nullptr;
  };
  struct DomainGauges {
    std::array<prometheus::Gauge*, kPresences.size()> agents{};
    prometheus::Gauge* slots_used = nullptr;
    prometheus::Gauge* slots_total = nullptr;
    prometheus::Gauge* stranded = nullptr;
    std::map<std::string, QueueGauges, std::less<>> queues;
  };
  struct PoolChannel {
    prometheus::Counter* count = nullptr;
    prometheus::Histogram* wait = nullptr;
  };

  prometheus::Counter& counter(prometheus::Family<prometheus::Counter>& family,
                               const prometheus::Labels& labels);
  PoolChannel& poolChannel(bool offer, std::string_view pool, v1::Channel channel);

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
  prometheus::Family<prometheus::Gauge>& stranded_;
  prometheus::Family<prometheus::Counter>& input_ignored_;

  // Handles by (family, label values): built once per label set, then reused.
  std::map<std::tuple<const void*, std::string, std::string, std::string>, prometheus::Counter*>
      counters_;
  std::map<std::tuple<bool, std::string, int>, PoolChannel, std::less<>> pool_channels_;
  std::map<std::string, DomainGauges, std::less<>> domains_;
  std::vector<dispatch::DispatchEngine::QueueStats> stats_;  // reused
};

}  // namespace switchboard::router
