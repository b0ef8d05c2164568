#include "router/stages/dispatch_probe.h"

#include <algorithm>

#include "router/policy/channel_names.h"

namespace switchboard::router {
namespace {

// From 50 ms (a chat assigned while agents are free) to a day (email overnight).
const prometheus::Histogram::BucketBoundaries kWaitBuckets = {
    0.05, 0.1, 0.25, 0.5,  1,    2,    5,    10,    20,    30,    60,
    120,  300, 600,  1200, 1800, 3600, 7200, 14400, 28800, 43200, 86400};

std::string presenceLabel(v1::Presence presence) {
  switch (presence) {
    case v1::PRESENCE_AVAILABLE: return "available";
    case v1::PRESENCE_AWAY: return "away";
    case v1::PRESENCE_OFFLINE: return "offline";
    default: return "unspecified";
  }
}

double seconds(std::chrono::nanoseconds d) {
  return std::max(0.0, std::chrono::duration<double>(d).count());
}

}  // namespace

DispatchProbe::DispatchProbe(metrics::MetricsRegistry& registry)
    : offers_(prometheus::BuildCounter()
                  .Name("switchboard_router_offers_total")
                  .Help("Work items offered to an agent, by pool and channel.")
                  .Register(registry.registry())),
      assignments_(prometheus::BuildCounter()
                       .Name("switchboard_router_assignments_total")
                       .Help("Work items assigned to an agent (directly or by an accepted "
                             "offer), by pool and channel.")
                       .Register(registry.registry())),
      time_to_offer_(prometheus::BuildHistogram()
                         .Name("switchboard_router_time_to_offer_seconds")
                         .Help("Time from enqueued_at to an offer, by pool and channel.")
                         .Register(registry.registry())),
      time_to_assign_(prometheus::BuildHistogram()
                          .Name("switchboard_router_time_to_assign_seconds")
                          .Help("Time from enqueued_at to the assignment, by pool and channel.")
                          .Register(registry.registry())),
      sla_(prometheus::BuildCounter()
               .Name("switchboard_router_sla_total")
               .Help("Work items first assigned before (attained) or after (breached) their SLA "
                     "deadline, by channel and queue.")
               .Register(registry.registry())),
      reservations_(prometheus::BuildCounter()
                        .Name("switchboard_router_reservations_total")
                        .Help("How offers ended: accepted, rejected, offer_timeout, "
                              "agent_offline, transferred (work taken back from an agent).")
                        .Register(registry.registry())),
      appended_(prometheus::BuildCounter()
                    .Name("switchboard_router_appended_total")
                    .Help("Follow-up messages delivered to the agent who has the conversation "
                          "in hand, by channel.")
                    .Register(registry.registry())),
      widenings_(prometheus::BuildCounter()
                     .Name("switchboard_router_overflow_widenings_total")
                     .Help("Overflow steps that came into force for a waiting item, by queue.")
                     .Register(registry.registry())),
      queue_depth_(prometheus::BuildGauge()
                       .Name("switchboard_router_queue_depth")
                       .Help("Work items waiting in the queue, as of the last tick.")
                       .Register(registry.registry())),
      oldest_wait_(prometheus::BuildGauge()
                       .Name("switchboard_router_oldest_wait_seconds")
                       .Help("Wait of the queue's oldest waiting work item, as of the last tick.")
                       .Register(registry.registry())),
      agents_(prometheus::BuildGauge()
                  .Name("switchboard_router_agents")
                  .Help("Agents known to the dispatch domain, by presence.")
                  .Register(registry.registry())),
      slots_(prometheus::BuildGauge()
                 .Name("switchboard_router_agent_slots")
                 .Help("Capacity slots of the domain's available agents: used (offered or in "
                       "hand) and total.")
                 .Register(registry.registry())),
      stranded_(prometheus::BuildGauge()
                    .Name("switchboard_router_stranded_items")
                    .Help("Queued work items whose queue is unknown to the policy or served by "
                          "pools of another domain.")
                    .Register(registry.registry())),
      input_ignored_(prometheus::BuildCounter()
                         .Name("switchboard_router_input_ignored_total")
                         .Help("Dispatch inputs that changed nothing (duplicates, unknown agent, "
                               "follow-ups joined to their conversation ...), by reason.")
                         .Register(registry.registry())) {}

std::string DispatchProbe::channelLabel(v1::Channel channel) {
  // The policy's channel names ("chat", "whatsapp" ...), as the other router probes use them.
  if (!v1::Channel_IsValid(channel)) return "unknown";
  return std::string(policy::channelName(channel));
}

prometheus::Counter& DispatchProbe::counter(prometheus::Family<prometheus::Counter>& family,
                                            const prometheus::Labels& labels) {
  std::array<std::string, 3> values;
  size_t i = 0;
  for (const auto& [name, value] : labels) {
    if (i < values.size()) values[i++] = value;
  }
  auto key = std::make_tuple(static_cast<const void*>(&family), values[0], values[1], values[2]);
  auto it = counters_.find(key);
  if (it == counters_.end()) it = counters_.emplace(key, &family.Add(labels)).first;
  return *it->second;
}

DispatchProbe::PoolChannel& DispatchProbe::poolChannel(bool offer, std::string_view pool,
                                                       v1::Channel channel) {
  auto key = std::make_tuple(offer, std::string(pool), static_cast<int>(channel));
  auto it = pool_channels_.find(key);
  if (it == pool_channels_.end()) {
    const prometheus::Labels labels{{"pool", std::string(pool)},
                                    {"channel", channelLabel(channel)}};
    PoolChannel metrics;
    metrics.count = &(offer ? offers_ : assignments_).Add(labels);
    metrics.wait = &(offer ? time_to_offer_ : time_to_assign_).Add(labels, kWaitBuckets);
    it = pool_channels_.emplace(key, metrics).first;
  }
  return it->second;
}

void DispatchProbe::decided(const dispatch::Decision& d) {
  const double waited = seconds(d.decided_at - d.enqueued_at);
  switch (d.status) {
    case v1::ASSIGNMENT_STATUS_OFFERED: {
      PoolChannel& metrics = poolChannel(true, d.pool_id, d.channel);
      metrics.count->Increment();
      metrics.wait->Observe(waited);
      break;
    }
    case v1::ASSIGNMENT_STATUS_ASSIGNED: {
      PoolChannel& metrics = poolChannel(false, d.pool_id, d.channel);
      metrics.count->Increment();
      metrics.wait->Observe(waited);
      if (d.accepted) counter(reservations_, {{"outcome", "accepted"}}).Increment();
      if (d.first_assignment) {
        // Both outcomes exist from a queue's first item on, so that attained / (attained +
        // breached) has a series even while every item breaches.
        const std::string channel = channelLabel(d.channel);
        const std::string queue(d.queue_id);
        prometheus::Counter& attained =
            counter(sla_, {{"channel", channel}, {"outcome", "attained"}, {"queue", queue}});
        prometheus::Counter& breached =
            counter(sla_, {{"channel", channel}, {"outcome", "breached"}, {"queue", queue}});
        (d.sla_breached ? breached : attained).Increment();
      }
      break;
    }
    case v1::ASSIGNMENT_STATUS_REQUEUED:
      counter(reservations_, {{"outcome", std::string(d.cause)}}).Increment();
      break;
    case v1::ASSIGNMENT_STATUS_APPENDED:
      counter(appended_, {{"channel", channelLabel(d.channel)}}).Increment();
      break;
    default: break;
  }
}

void DispatchProbe::overflowWidened(std::string_view queue) {
  counter(widenings_, {{"queue", std::string(queue)}}).Increment();
}

void DispatchProbe::inputIgnored(std::string_view reason) {
  counter(input_ignored_, {{"reason", std::string(reason)}}).Increment();
}

void DispatchProbe::domainObserved(const dispatch::DispatchEngine& engine,
                                   dispatch::TimePoint now) {
  const std::string& domain = engine.domain();
  auto it = domains_.find(domain);
  if (it == domains_.end()) {
    DomainGauges gauges;
    for (size_t i = 0; i < kPresences.size(); ++i) {
      gauges.agents[i] =
          &agents_.Add({{"domain", domain}, {"presence", presenceLabel(kPresences[i])}});
    }
    gauges.slots_used = &slots_.Add({{"domain", domain}, {"state", "used"}});
    gauges.slots_total = &slots_.Add({{"domain", domain}, {"state", "total"}});
    gauges.stranded = &stranded_.Add({{"domain", domain}});
    it = domains_.emplace(domain, std::move(gauges)).first;
  }
  DomainGauges& gauges = it->second;
  for (size_t i = 0; i < kPresences.size(); ++i) {
    gauges.agents[i]->Set(static_cast<double>(engine.agentCount(kPresences[i])));
  }
  const dispatch::DispatchEngine::Occupancy occupancy = engine.occupancy();
  gauges.slots_used->Set(static_cast<double>(occupancy.used));
  gauges.slots_total->Set(static_cast<double>(occupancy.total));
  gauges.stranded->Set(static_cast<double>(engine.strandedCount()));
  // Queues seen before and empty now report 0.
  for (auto& [queue, q] : gauges.queues) {
    q.depth->Set(0);
    q.oldest_wait->Set(0);
  }
  engine.queueStats(stats_);
  for (const dispatch::DispatchEngine::QueueStats& s : stats_) {
    auto q = gauges.queues.find(s.queue);
    if (q == gauges.queues.end()) {
      const prometheus::Labels labels{{"domain", domain}, {"queue", std::string(s.queue)}};
      q = gauges.queues
              .emplace(std::string(s.queue),
                       QueueGauges{&queue_depth_.Add(labels), &oldest_wait_.Add(labels)})
              .first;
    }
    q->second.depth->Set(static_cast<double>(s.depth));
    q->second.oldest_wait->Set(seconds(now - s.oldest_enqueued_at));
  }
}

void DispatchProbe::domainClosed(std::string_view domain) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return;
  DomainGauges& gauges = it->second;
  for (prometheus::Gauge* gauge : gauges.agents) agents_.Remove(gauge);
  slots_.Remove(gauges.slots_used);
  slots_.Remove(gauges.slots_total);
  stranded_.Remove(gauges.stranded);
  for (auto& [queue, q] : gauges.queues) {
    queue_depth_.Remove(q.depth);
    oldest_wait_.Remove(q.oldest_wait);
  }
  domains_.erase(it);
}

}  // namespace switchboard::router
