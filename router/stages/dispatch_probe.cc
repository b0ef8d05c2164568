#include "router/stages/dispatch_probe.h"

#include "router/dispatch/channel_capacity.h"

#include <algorithm>
#include <limits>

#include "router/dispatch/proto_time.h"
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

int64_t unixNanos(dispatch::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
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
      pool_depth_(prometheus::BuildGauge()
                      .Name("switchboard_router_pool_queue_depth")
                      .Help("Waiting work items the pool's agents may take now (the item's "
                            "queue pool or an overflow step in force), as of the last tick.")
                      .Register(registry.registry())),
      pool_oldest_wait_(prometheus::BuildGauge()
                            .Name("switchboard_router_pool_oldest_wait_seconds")
                            .Help("Wait of the oldest work item the pool's agents may take now, "
                                  "as of the last tick.")
                            .Register(registry.registry())),
      pool_agents_(prometheus::BuildGauge()
                       .Name("switchboard_router_pool_agents")
                       .Help("Member agents of the pool, by presence.")
                       .Register(registry.registry())),
      pool_slots_(prometheus::BuildGauge()
                      .Name("switchboard_router_pool_agent_slots")
                      .Help("Capacity slots of the pool's available members: used (offered or "
                            "in hand) and total.")
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

std::string DispatchProbe::poolLabel(std::string_view pool) {
  return pool.empty() ? std::string("none") : std::string(pool);
}

prometheus::Counter& DispatchProbe::counter(prometheus::Family<prometheus::Counter>& family,
                                            const prometheus::Labels& labels) {
  std::array<std::string, 4> values;
  size_t i = 0;
  for (const auto& [name, value] : labels) {
    if (i < values.size()) values[i++] = value;
  }
  auto key = std::make_tuple(static_cast<const void*>(&family), values[0], values[1], values[2],
                             values[3]);
  auto it = counters_.find(key);
  if (it == counters_.end()) it = counters_.emplace(key, &family.Add(labels)).first;
  return *it->second;
}

DispatchProbe::PoolChannel& DispatchProbe::poolChannel(bool offer, std::string_view pool,
                                                       v1::Channel channel) {
  auto key = std::make_tuple(offer, std::string(pool), static_cast<int>(channel));
  auto it = pool_channels_.find(key);
  if (it == pool_channels_.end()) {
    const prometheus::Labels labels{{"pool", poolLabel(pool)}, {"channel", channelLabel(channel)}};
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
        // Both outcomes exist from a (queue, pool)'s first item on, so that attained /
        // (attained + breached) has a series even while every item breaches.
        const std::string channel = channelLabel(d.channel);
        const std::string queue(d.queue_id);
        const std::string pool = poolLabel(d.pool_id);
        prometheus::Counter& attained = counter(
            sla_,
            {{"channel", channel}, {"outcome", "attained"}, {"pool", pool}, {"queue", queue}});
        prometheus::Counter& breached = counter(
            sla_,
            {{"channel", channel}, {"outcome", "breached"}, {"pool", pool}, {"queue", queue}});
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
  observePools(engine, now, gauges);
}

DispatchProbe::DomainMirror& DispatchProbe::mirror(std::string_view domain) {
  auto it = mirrors_.find(domain);
  if (it == mirrors_.end()) it = mirrors_.emplace(std::string(domain), DomainMirror{}).first;
  return it->second;
}

void DispatchProbe::workChanged(std::string_view domain, const v1::WorkState& state) {
  DomainMirror& m = mirror(domain);
  const std::string& id = state.item().work_item_id();
  auto it = m.queued.find(id);
  if (state.phase() != v1::WORK_PHASE_QUEUED) {
    if (it != m.queued.end()) m.queued.erase(it);
    return;
  }
  if (it == m.queued.end()) it = m.queued.emplace(id, MirroredItem{}).first;
  it->second.queue = state.item().queue_id();
  it->second.enqueued_ns = unixNanos(dispatch::toTimePoint(state.item().enqueued_at()));
}

void DispatchProbe::workRemoved(std::string_view domain, std::string_view work_item_id) {
  DomainMirror& m = mirror(domain);
  auto it = m.queued.find(work_item_id);
  if (it != m.queued.end()) m.queued.erase(it);
}

void DispatchProbe::agentChanged(std::string_view domain, const v1::AgentState& state) {
  DomainMirror& m = mirror(domain);
  auto it = m.agents.find(state.agent_id());
  if (it == m.agents.end()) it = m.agents.emplace(state.agent_id(), MirroredAgent{}).first;
  MirroredAgent& agent = it->second;
  agent.presence = state.presence();
  agent.active = static_cast<uint32_t>(state.active_work_items_size());
  // Membership and slots only change with skills or capacities (or the policy).
  if (!std::equal(state.skills().begin(), state.skills().end(), agent.skills.begin(),
                  agent.skills.end())) {
    agent.skills.assign(state.skills().begin(), state.skills().end());
    agent.generation = 0;
  }
  std::array<std::optional<uint32_t>, v1::Channel_ARRAYSIZE> stated{};
  for (const v1::ChannelCapacity& capacity : state.capacities()) {
    const auto c = static_cast<size_t>(capacity.channel());
    if (c < stated.size()) stated[c] = capacity.max_concurrent();
  }
  const bool stated_any = !state.capacities().empty();
  if (stated != agent.stated || stated_any != agent.stated_any) {
    agent.stated = stated;
    agent.stated_any = stated_any;
    agent.generation = 0;
  }
}

void DispatchProbe::domainReset(std::string_view domain) {
  auto it = mirrors_.find(domain);
  if (it != mirrors_.end()) mirrors_.erase(it);
}

void DispatchProbe::computeMembership(const policy::Policy& policy, std::string_view domain,
                                      std::string_view agent_id, MirroredAgent& agent) {
  agent.pools.clear();
  for (size_t i = 0; i < policy.pools.size(); ++i) {
    const policy::Pool& pool = policy.pools[i];
    if (pool.domain == domain && pool.admits(agent_id, agent.skills)) {
      agent.pools.push_back(static_cast<uint32_t>(i));
    }
  }
  // The engine's rule (dispatch::channelCapacity); unknown for every channel: one item.
  const dispatch::ChannelCapacity capacity =
      dispatch::channelCapacity(policy, agent.pools, agent.stated_any, agent.stated);
  uint64_t total = 0;
  for (uint32_t max : capacity.max) total += max;
  agent.total_slots = capacity.known ? total : 1;
}

DispatchProbe::PoolGauges& DispatchProbe::poolGauges(DomainGauges& gauges,
                                                     const std::string& domain,
                                                     const std::string& pool) {
  auto it = gauges.pools.find(pool);
  if (it != gauges.pools.end()) return it->second;
  PoolGauges g;
  const prometheus::Labels labels{{"domain", domain}, {"pool", pool}};
  g.depth = &pool_depth_.Add(labels);
  g.oldest_wait = &pool_oldest_wait_.Add(labels);
  for (size_t i = 0; i < kPresences.size(); ++i) {
    g.agents[i] = &pool_agents_.Add(
        {{"domain", domain}, {"pool", pool}, {"presence", presenceLabel(kPresences[i])}});
  }
  g.slots_used = &pool_slots_.Add({{"domain", domain}, {"pool", pool}, {"state", "used"}});
  g.slots_total = &pool_slots_.Add({{"domain", domain}, {"pool", pool}, {"state", "total"}});
  return gauges.pools.emplace(pool, g).first->second;
}

void DispatchProbe::removePoolGauges(PoolGauges& g) {
  pool_depth_.Remove(g.depth);
  pool_oldest_wait_.Remove(g.oldest_wait);
  for (prometheus::Gauge* gauge : g.agents) pool_agents_.Remove(gauge);
  pool_slots_.Remove(g.slots_used);
  pool_slots_.Remove(g.slots_total);
}

void DispatchProbe::observePools(const dispatch::DispatchEngine& engine, dispatch::TimePoint now,
                                 DomainGauges& gauges) {
  const std::string& domain = engine.domain();
  if (!engine.policy()) return;
  const policy::Policy& policy = *engine.policy();
  if (indexed_policy_ != engine.policy()) {
    indexed_policy_ = engine.policy();
    ++generation_;
    queue_index_.clear();
    pool_index_.clear();
    for (size_t i = 0; i < policy.queues.size(); ++i) {
      queue_index_.emplace(policy.queues[i].name, static_cast<uint32_t>(i));
    }
    for (size_t i = 0; i < policy.pools.size(); ++i) {
      pool_index_.emplace(policy.pools[i].name, static_cast<uint32_t>(i));
    }
  }
  tallies_.assign(policy.pools.size(), PoolTally{});
  for (size_t i = 0; i < policy.pools.size(); ++i) {
    tallies_[i].in_domain = policy.pools[i].domain == domain;
    tallies_[i].oldest_enqueued_ns = std::numeric_limits<int64_t>::max();
  }

  DomainMirror& m = mirror(domain);
  const int64_t now_ns = unixNanos(now);
  for (const auto& [id, item] : m.queued) {
    auto q = queue_index_.find(item.queue);
    if (q == queue_index_.end()) continue;  // stranded: no pool
    const policy::Queue& queue = policy.queues[q->second];
    // Reach in force: the queue's pool, then one pool per overflow step whose wait has passed
    // (the engine's rule: waited >= after).
    size_t in_force = 1;
    const int64_t waited = now_ns - item.enqueued_ns;
    for (const policy::OverflowStep& step : queue.overflow) {
      if (waited < std::chrono::duration_cast<std::chrono::nanoseconds>(step.after).count()) break;
      ++in_force;
    }
    in_force = std::min(in_force, queue.reach.size());
    for (size_t r = 0; r < in_force; ++r) {
      auto p = pool_index_.find(queue.reach[r]);
      if (p == pool_index_.end()) continue;
      // A pool listed twice in a reach counts the item once.
      if (std::find(queue.reach.begin(), queue.reach.begin() + static_cast<std::ptrdiff_t>(r),
                    queue.reach[r]) != queue.reach.begin() + static_cast<std::ptrdiff_t>(r)) {
        continue;
      }
      PoolTally& tally = tallies_[p->second];
      ++tally.depth;
      tally.oldest_enqueued_ns = std::min(tally.oldest_enqueued_ns, item.enqueued_ns);
    }
  }
  for (auto& [id, agent] : m.agents) {
    if (agent.generation != generation_) {
      computeMembership(policy, domain, id, agent);
      agent.generation = generation_;
    }
    const auto presence = std::find(kPresences.begin(), kPresences.end(), agent.presence);
    if (presence == kPresences.end()) continue;  // no presence reported yet
    const auto index = static_cast<size_t>(presence - kPresences.begin());
    for (uint32_t pool : agent.pools) {
      PoolTally& tally = tallies_[pool];
      ++tally.agents[index];
      if (agent.presence == v1::PRESENCE_AVAILABLE) {
        tally.slots_used += agent.active;
        tally.slots_total += agent.total_slots;
      }
    }
  }

  // Pools no longer in the domain (a reload) lose their series.
  for (auto it = gauges.pools.begin(); it != gauges.pools.end();) {
    auto p = pool_index_.find(it->first);
    if (p == pool_index_.end() || !tallies_[p->second].in_domain) {
      removePoolGauges(it->second);
      it = gauges.pools.erase(it);
    } else {
      ++it;
    }
  }
  for (size_t i = 0; i < policy.pools.size(); ++i) {
    const PoolTally& tally = tallies_[i];
    if (!tally.in_domain) continue;
    PoolGauges& g = poolGauges(gauges, domain, policy.pools[i].name);
    g.depth->Set(static_cast<double>(tally.depth));
    g.oldest_wait->Set(tally.depth == 0
                           ? 0.0
                           : seconds(std::chrono::nanoseconds(now_ns - tally.oldest_enqueued_ns)));
    for (size_t p = 0; p < kPresences.size(); ++p) {
      g.agents[p]->Set(static_cast<double>(tally.agents[p]));
    }
    g.slots_used->Set(static_cast<double>(tally.slots_used));
    g.slots_total->Set(static_cast<double>(tally.slots_total));
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
  for (auto& [pool, p] : gauges.pools) removePoolGauges(p);
  domainReset(domain);
  domains_.erase(it);
}

}  // namespace switchboard::router
