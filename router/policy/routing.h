// The decisions the dispatch stage takes from a Policy for one work item: which queue it
// joins, its SLA deadline, its effective priority, which pools may serve it after a given
// wait, and the order of a queue. All pure and deterministic: time comes in as arguments,
// nothing allocates, nothing is cached.
// Stateless functions; any thread (the Policy is read-only).
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "router/policy/policy.h"

namespace switchboard::policy {

// The first queue, in file order, whose filter matches; null when none does.
const Queue* selectQueue(const Policy& policy, const Attributes& attributes);

// The in-hours first-response target: the queue's, else the defaults', else built-in.
Seconds slaTarget(const Policy& policy, const Queue& queue, v1::Channel channel);

struct SlaDeadline {
  TimePoint at;
  bool after_hours = false;  // the queue's calendar was closed at arrival
};
// Arrival + target while the queue's calendar is open (or it has none). When closed: arrival +
// the after-hours target for the channel if set, else the next opening + the in-hours target
// (arrival + target if the calendar never opens again).
SlaDeadline slaDeadline(const Policy& policy, const Queue& queue, v1::Channel channel,
                        TimePoint arrival);

struct EffectivePriority {
  int32_t value = 0;     // base + matching boosts + SLA-risk boost, clamped to int32
  int32_t boosts = 0;    // sum of the matching boosts (clamped)
  bool at_risk = false;  // the SLA-risk boost applies
};
EffectivePriority effectivePriority(const Queue& queue, const Attributes& attributes,
                                    TimePoint sla_deadline, TimePoint now);
// When the SLA-risk boost starts to apply to an item with this deadline (for a timer); nullopt
// when the queue has none.
std::optional<TimePoint> slaRiskStartsAt(const Queue& queue, TimePoint sla_deadline);

// Overflow: how many steps are in force after waiting `waited` (a step is in force from the
// moment the wait reaches its `after`), and the pools that may serve the item: the queue's
// pool followed by each in-force step's pool.
size_t overflowStepsInForce(const Queue& queue, std::chrono::nanoseconds waited);
std::span<const std::string> eligiblePools(const Queue& queue, std::chrono::nanoseconds waited);
// The wait at which the next step comes into force; nullopt when all are.
std::optional<Seconds> nextOverflowAt(const Queue& queue, std::chrono::nanoseconds waited);

// A queued item's place in line: higher priority first, then longer waiting (earlier
// enqueued_at), then earlier SLA deadline, then work item id. `a < b` means a is served
// first.
struct QueueRankKey {
  int32_t priority = 0;
  TimePoint enqueued_at;
  TimePoint sla_deadline;
  std::string_view id;

  friend bool operator<(const QueueRankKey& a, const QueueRankKey& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.enqueued_at != b.enqueued_at) return a.enqueued_at < b.enqueued_at;
    if (a.sla_deadline != b.sla_deadline) return a.sla_deadline < b.sla_deadline;
    return a.id < b.id;
  }
};

}  // namespace switchboard::policy
