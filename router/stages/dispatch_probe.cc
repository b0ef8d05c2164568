#include "router/stages/dispatch_probe.h"

#include <algorithm>
#include <cctype>

namespace switchboard::router {
namespace {

// Time to assign spans seconds (chat with free agents) to a day (email over a weekend).
const prometheus::Histogram::BucketBoundaries kTimeToAssignBuckets = {
    1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 43200, 86400};

std::string presenceLabel(v1::Presence presence) {
  switch (presence) {
    case v1::PRESENCE_AVAILABLE: return "available";
    case v1::PRESENCE_AWAY: return "away";
    case v1::PRESENCE_OFFLINE: return "offline";
    default: return "unspecified";
  }
}

}  // namespace

DispatchProbe::DispatchProbe(metrics::MetricsRegistry& registry)
    : assignments_(prometheus::BuildCounter()
                       .Name("switchboard_router_assignments_total")
                       .Help("Work items assigned to an agent, by pool and channel.")
                       .Register(registry.registry())),
      time_to_assign_(prometheus::BuildHistogram()
                          .Name("switchboard_router_time_to_assign_seconds")
                          .Help("Time from enqueued_at to the assignment, by pool and channel.")
                          .Register(registry.registry())),
      queue_depth_(prometheus::BuildGauge()
                       .Name("switchboard_router_queue_depth")
                       .Help("Work items waiting in the pool's queue.")
                       .Register(registry.registry())),
      oldest_wait_(prometheus::BuildGauge()
                       .Name("switchboard_router_oldest_wait_seconds")
                       .Help("Wait of the pool's oldest queued work item, as of the last event "
                             "or tick of the pool's task.")
                       .Register(registry.registry())),
      agents_(prometheus::BuildGauge()
                  .Name("switchboard_router_agents")
                  .Help("Agents known to the pool, by presence.")
                  .Register(registry.registry())),
      input_ignored_(prometheus::BuildCounter()
                         .Name("switchboard_router_input_ignored_total")
                         .Help("Dispatch inputs that changed nothing (duplicates, other pool, "
                               "unknown agent ...), by reason.")
                         .Register(registry.registry())) {}

std::string DispatchProbe::channelLabel(v1::Channel channel) {
  if (!v1::Channel_IsValid(channel)) return "unknown";
  std::string name = v1::Channel_Name(channel);
  constexpr std::string_view kPrefix = "CHANNEL_";
  if (std::string_view(name).substr(0, kPrefix.size()) == kPrefix) name.erase(0, kPrefix.size());
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

size_t DispatchProbe::channelIndex(v1::Channel channel) {
  return v1::Channel_IsValid(channel) ? static_cast<size_t>(channel) : kChannelLabels - 1;
}

DispatchProbe::PoolMetrics& DispatchProbe::pool(std::string_view pool_id) {
  auto it = pools_.find(pool_id);
  if (it == pools_.end()) it = pools_.emplace(std::string(pool_id), PoolMetrics{}).first;
  return it->second;
}

void DispatchProbe::workAssigned(std::string_view pool_id, v1::Channel channel,
                                 std::chrono::nanoseconds waited) {
  PoolMetrics& metrics = pool(pool_id);
  const size_t index = channelIndex(channel);
  if (metrics.assignments[index] == nullptr) {
    const prometheus::Labels labels{{"pool", std::string(pool_id)},
                                    {"channel", channelLabel(channel)}};
    metrics.assignments[index] = &assignments_.Add(labels);
    metrics.time_to_assign[index] = &time_to_assign_.Add(labels, kTimeToAssignBuckets);
  }
  metrics.assignments[index]->Increment();
  metrics.time_to_assign[index]->Observe(std::chrono::duration<double>(waited).count());
}

void DispatchProbe::inputIgnored(std::string_view reason) {
  auto it = ignored_.find(reason);
  if (it == ignored_.end()) {
    prometheus::Counter* counter = &input_ignored_.Add({{"reason", std::string(reason)}});
    it = ignored_.emplace(std::string(reason), counter).first;
  }
  it->second->Increment();
}

void DispatchProbe::poolObserved(const dispatch::DispatchEngine& engine, dispatch::TimePoint now) {
  PoolMetrics& metrics = pool(engine.poolId());
  if (metrics.queue_depth == nullptr) {
    metrics.queue_depth = &queue_depth_.Add({{"pool", engine.poolId()}});
    metrics.oldest_wait = &oldest_wait_.Add({{"pool", engine.poolId()}});
    for (size_t i = 0; i < kPresences.size(); ++i) {
      metrics.agents[i] =
          &agents_.Add({{"pool", engine.poolId()}, {"presence", presenceLabel(kPresences[i])}});
    }
  }
  metrics.queue_depth->Set(static_cast<double>(engine.queueDepth()));
  double oldest_wait = 0;
  if (auto oldest = engine.oldestEnqueuedAt()) {
    oldest_wait = std::max(0.0, std::chrono::duration<double>(now - *oldest).count());
  }
  metrics.oldest_wait->Set(oldest_wait);
  for (size_t i = 0; i < kPresences.size(); ++i) {
    metrics.agents[i]->Set(static_cast<double>(engine.agentCount(kPresences[i])));
  }
}

void DispatchProbe::poolClosed(std::string_view pool_id) {
  auto it = pools_.find(pool_id);
  if (it == pools_.end() || it->second.queue_depth == nullptr) return;
  PoolMetrics& metrics = it->second;
  queue_depth_.Remove(metrics.queue_depth);
  oldest_wait_.Remove(metrics.oldest_wait);
  for (prometheus::Gauge*& gauge : metrics.agents) {
    agents_.Remove(gauge);
    gauge = nullptr;
  }
  metrics.queue_depth = nullptr;
  metrics.oldest_wait = nullptr;
}

}  // namespace switchboard::router
