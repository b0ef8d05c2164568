#include "router/policy/policy_diff.h"

#include <algorithm>

namespace switchboard::policy {
namespace {

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const BusinessCalendar* calendarOf(const Policy& policy, const Queue& queue) {
  return queue.calendar_index ? &policy.calendars[*queue.calendar_index] : nullptr;
}

}  // namespace

bool sameQueueDefinition(const Queue& a, const Queue& b) {
  return a.name == b.name && a.filter == b.filter && a.priority == b.priority &&
         a.boosts == b.boosts && a.sla_risk == b.sla_risk && a.sla == b.sla && a.pool == b.pool &&
         a.skills == b.skills && a.overflow == b.overflow && a.calendar == b.calendar &&
         a.after_hours_sla == b.after_hours_sla;
}

bool PolicyDiff::empty() const {
  return queues_added.empty() && queues_removed.empty() && queues_changed.empty() &&
         queues_rescheduled.empty() && !queue_order_changed && pools_added.empty() &&
         pools_removed.empty() && pools_changed.empty() && calendars_changed.empty() &&
         !defaults_changed;
}

bool PolicyDiff::affects(std::string_view queue) const {
  return contains(queues_removed, queue) || contains(queues_changed, queue) ||
         contains(queues_rescheduled, queue) || defaults_changed;
}

PolicyDiff diffPolicies(const Policy& before, const Policy& after) {
  PolicyDiff diff;
  for (const Pool& pool : after.pools) {
    const Pool* old = before.findPool(pool.name);
    if (!old) {
      diff.pools_added.push_back(pool.name);
    } else if (!(*old == pool)) {
      diff.pools_changed.push_back(pool.name);
    }
  }
  for (const Pool& pool : before.pools) {
    if (!after.findPool(pool.name)) diff.pools_removed.push_back(pool.name);
  }

  for (const BusinessCalendar& calendar : after.calendars) {
    const BusinessCalendar* old = before.findCalendar(calendar.name());
    if (!old || !old->sameSchedule(calendar)) diff.calendars_changed.push_back(calendar.name());
  }
  for (const BusinessCalendar& calendar : before.calendars) {
    if (!after.findCalendar(calendar.name())) diff.calendars_changed.push_back(calendar.name());
  }

  std::vector<std::string_view> kept_before;
  std::vector<std::string_view> kept_after;
  for (const Queue& queue : after.queues) {
    const Queue* old = before.findQueue(queue.name);
    if (!old) {
      diff.queues_added.push_back(queue.name);
      continue;
    }
    kept_after.push_back(queue.name);
    if (!sameQueueDefinition(*old, queue)) {
      diff.queues_changed.push_back(queue.name);
      continue;
    }
    const BusinessCalendar* old_calendar = calendarOf(before, *old);
    const BusinessCalendar* new_calendar = calendarOf(after, queue);
    if (old_calendar && new_calendar && !old_calendar->sameSchedule(*new_calendar)) {
      diff.queues_rescheduled.push_back(queue.name);
    }
  }
  for (const Queue& queue : before.queues) {
    if (!after.findQueue(queue.name)) {
      diff.queues_removed.push_back(queue.name);
    } else {
      kept_before.push_back(queue.name);
    }
  }
  diff.queue_order_changed = kept_before != kept_after;
  diff.defaults_changed = !(before.defaults == after.defaults);
  return diff;
}

}  // namespace switchboard::policy
