// Builds the WorkItem for a customer message from the customer's context and the routing
// policy: queue (first matching filter), priority at enqueue (base + boosts; dispatch adds the
// SLA-risk boost as the deadline nears), required skills, SLA deadline and after-hours flag,
// dispatch domain, pool, policy version. A message no queue matches (or that arrives while no
// policy is loaded) is still a work item: queue "" in domain "default", the defaults' or the
// built-in SLA target, so that it is never lost; the caller counts it as unrouted.
// Pure and deterministic (no clock: `created_at` comes in); stateless; any thread.
#pragma once

#include <chrono>
#include <string>

#include "router/policy/policy.h"
#include "switchboard/v1/customer_context.pb.h"
#include "switchboard/v1/customer_event.pb.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::context {

// When the customer message entered Switchboard: its envelope's received_at, else `fallback`
// (the record's time).
std::chrono::system_clock::time_point arrivalTime(const v1::InboundMessage& message,
                                                  std::chrono::system_clock::time_point fallback);

struct WorkItemInput {
  const v1::CustomerMessage* message = nullptr;  // required
  std::string conversation_id;
  v1::CustomerContext context;
  std::chrono::system_clock::time_point arrival;     // enqueued_at, SLA start
  std::chrono::system_clock::time_point created_at;  // the envelope's created_at
};

// Fills `item` (cleared first). Returns true when a queue matched.
bool buildWorkItem(const policy::Policy* policy, WorkItemInput input, v1::WorkItem& item);

}  // namespace switchboard::context
