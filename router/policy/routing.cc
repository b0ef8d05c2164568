#include "router/policy/routing.h"

#include <algorithm>
#include <limits>

namespace switchboard::policy {
namespace {

int32_t clampToInt32(int64_t value) {
  return static_cast<int32_t>(std::clamp<int64_t>(value, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

}  // namespace

const Queue* selectQueue(const Policy& policy, const Attributes& attributes) {
  for (const Queue& queue : policy.queues) {
    if (queue.filter.matches(attributes)) return &queue;
  }
  return nullptr;
}

Seconds slaTarget(const Policy& policy, const Queue& queue, v1::Channel channel) {
  if (const auto& target = queue.sla.get(channel)) return *target;
  if (const auto& target = policy.defaults.sla.get(channel)) return *target;
  return builtInSlaTarget(channel);
}

SlaDeadline slaDeadline(const Policy& policy, const Queue& queue, v1::Channel channel,
                        TimePoint arrival) {
  const Seconds target = slaTarget(policy, queue, channel);
  if (!queue.calendar_index) return {arrival + target, false};
  const BusinessCalendar& calendar = policy.calendars[*queue.calendar_index];
  if (calendar.isOpen(arrival)) return {arrival + target, false};
  if (const auto& after_hours = queue.after_hours_sla.get(channel)) {
    return {arrival + *after_hours, true};
  }
  const std::optional<TimePoint> opens = calendar.nextOpen(arrival);
  return {(opens ? *opens : arrival) + target, true};
}

EffectivePriority effectivePriority(const Queue& queue, const Attributes& attributes,
                                    TimePoint sla_deadline, TimePoint now) {
  EffectivePriority out;
  int64_t boosts = 0;
  for (const PriorityBoost& boost : queue.boosts) {
    if (boost.when.matches(attributes)) boosts += boost.add;
  }
  out.boosts = clampToInt32(boosts);
  int64_t value = int64_t{queue.priority} + boosts;
  if (queue.sla_risk && now >= sla_deadline - queue.sla_risk->within) {
    out.at_risk = true;
    value += queue.sla_risk->add;
  }
  out.value = clampToInt32(value);
  return out;
}

std::optional<TimePoint> slaRiskStartsAt(const Queue& queue, TimePoint sla_deadline) {
  if (!queue.sla_risk) return std::nullopt;
  return sla_deadline - queue.sla_risk->within;
}

size_t overflowStepsInForce(const Queue& queue, std::chrono::nanoseconds waited) {
  size_t steps = 0;
  while (steps < queue.overflow.size() && waited >= queue.overflow[steps].after) ++steps;
  return steps;
}

std::span<const std::string> eligiblePools(const Queue& queue, std::chrono::nanoseconds waited) {
  const size_t count = std::min(queue.reach.size(), 1 + overflowStepsInForce(queue, waited));
  return std::span<const std::string>(queue.reach.data(), count);
}

std::optional<Seconds> nextOverflowAt(const Queue& queue, std::chrono::nanoseconds waited) {
  const size_t steps = overflowStepsInForce(queue, waited);
  if (steps == queue.overflow.size()) return std::nullopt;
  return queue.overflow[steps].after;
}

}  // namespace switchboard::policy
