// DispatchProbe: the dispatch stage's metrics. Labels carry pools, channels, presences and
// reasons, never agent, customer or work item ids.
//   switchboard_router_assignments_total{pool,channel}           counter
//   switchboard_router_time_to_assign_seconds{pool,channel}      histogram, 1 s … 1 day
//   switchboard_router_queue_depth{pool}                         gauge
//   switchboard_router_oldest_wait_seconds{pool}                 gauge, as of the last event
//                                                                or tick of the pool's task
//   switchboard_router_agents{pool,presence}                     gauge
//   switchboard_router_input_ignored_total{reason}               counter
// Created once per stage; metric handles are cached per pool so that the hot path does not
// rebuild label maps. Used from the stage runner's thread only (prometheus-cpp's metrics are
// themselves safe to scrape concurrently).
#pragma once

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

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

  void workAssigned(std::string_view pool_id, v1::Channel channel, std::chrono::nanoseconds waited);
  void inputIgnored(std::string_view reason);
  // Sets the pool's gauges from the engine, as of `now`.
  void poolObserved(const dispatch::DispatchEngine& engine, dispatch::TimePoint now);
  // The pool's partition moved away: its gauges are dropped (another process reports them).
  void poolClosed(std::string_view pool_id);

  // "chat", "email", ... for a channel label; "unknown" for a value this build does not know.
  static std::string channelLabel(v1::Channel channel);

 private:
  static constexpr size_t kChannelLabels = v1::Channel_ARRAYSIZE + 1;  // last: unknown
  static constexpr std::array<v1::Presence, 3> kPresences = {
      v1::PRESENCE_AVAILABLE, v1::PRESENCE_AWAY, v1::PRESENCE_OFFLINE};

  struct PoolMetrics {
    prometheus::Gauge* queue_depth = nullptr;
    prometheus::Gauge* oldest_wait = nullptr;
    std::array<prometheus::Gauge*, kPresences.size()> agents{};
    std::array<prometheus::Counter*, kChannelLabels> assignments{};
    std::array<prometheus::Histogram*, kChannelLabels> time_to_assign{};
  };

  PoolMetrics& pool(std::string_view pool_id);
  static size_t channelIndex(v1::Channel channel);

  prometheus::Family<prometheus::Counter>& assignments_;
  prometheus::Family<prometheus::Histogram>& time_to_assign_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& oldest_wait_;
  prometheus::Family<prometheus::Gauge>& agents_;
  prometheus::Family<prometheus::Counter>& input_ignored_;

  std::unordered_map<std::string, PoolMetrics, dispatch::StringHash, std::equal_to<>> pools_;
  std::unordered_map<std::string, prometheus::Counter*, dispatch::StringHash, std::equal_to<>>
      ignored_;
};

}  // namespace switchboard::router
