// What changed between two versions of the routing policy, for a hot reload that loses no
// queued work: the dispatch stage re-selects the queue (selectQueue() under the new policy) of
// every item waiting in a removed queue, and recomputes the priority, SLA deadline and
// overflow of items in a changed queue or a queue whose calendar changed. Pools added,
// removed or changed tell it which engines to create, drain or reconfigure.
// Stateless; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "router/policy/policy.h"

namespace switchboard::policy {

struct PolicyDiff {
  // Names, each list in the order of the policy they come from.
  std::vector<std::string> queues_added;
  std::vector<std::string> queues_removed;      // re-select the queue of their waiting items
  std::vector<std::string> queues_changed;      // their own definition differs
  std::vector<std::string> queues_rescheduled;  // unchanged, but their calendar's schedule did
  bool queue_order_changed = false;  // the queues both versions have are in another order
  std::vector<std::string> pools_added;
  std::vector<std::string> pools_removed;
  std::vector<std::string> pools_changed;
  std::vector<std::string> calendars_changed;  // added, removed or different schedule
  bool defaults_changed = false;

  bool empty() const;
  // True when items waiting in `queue` (a name of the old policy) need their priority, SLA
  // deadline and overflow recomputed or their queue re-selected.
  bool affects(std::string_view queue) const;
};

PolicyDiff diffPolicies(const Policy& before, const Policy& after);

// Same definition, including the referenced names (pool, calendar, overflow pools); filters
// compare by canonical text.
bool sameQueueDefinition(const Queue& a, const Queue& b);

}  // namespace switchboard::policy
