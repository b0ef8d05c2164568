#include "router/context/work_item_builder.h"

#include "router/context/customer_ids.h"
#include "router/policy/routing.h"
#include "router/policy/work_attributes.h"

namespace switchboard::context {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

void setTime(google::protobuf::Timestamp* ts, TimePoint t) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  int64_t seconds = ns / 1000000000;
  int64_t nanos = ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(nanos));
}

policy::Seconds unroutedSlaTarget(const policy::Policy* policy, v1::Channel channel) {
  if (policy != nullptr) {
    if (const auto& target = policy->defaults.sla.get(channel)) return *target;
  }
  return policy::builtInSlaTarget(channel);
}

}  // namespace

TimePoint arrivalTime(const v1::InboundMessage& message, TimePoint fallback) {
  const auto& received = message.envelope().received_at();
  if (received.seconds() == 0 && received.nanos() == 0) return fallback;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(received.seconds()) + std::chrono::nanoseconds(received.nanos())));
}

bool buildWorkItem(const policy::Policy* policy, WorkItemInput input, v1::WorkItem& item) {
  item.Clear();
  const v1::CustomerMessage& customer_message = *input.message;
  const v1::InboundMessage& message = customer_message.message();
  const std::string work_item_id = workItemIdFor(message);

  v1::Envelope* env = item.mutable_envelope();
  env->set_event_id(work_item_id);
  env->set_idempotency_key(message.envelope().idempotency_key());
  env->set_trace_id(message.envelope().trace_id());
  setTime(env->mutable_created_at(), input.created_at);
  setTime(env->mutable_received_at(), input.arrival);
  env->set_producer("router/context");
  env->set_causation_id(customer_message.envelope().event_id());

  item.set_work_item_id(work_item_id);
  item.set_customer_id(customer_message.customer_id());
  item.set_conversation_id(std::move(input.conversation_id));
  item.set_channel(message.channel());
  item.set_tier(input.context.profile().tier());
  item.set_language(input.context.profile().language().empty()
                        ? message.language()
                        : input.context.profile().language());
  setTime(item.mutable_enqueued_at(), input.arrival);
  *item.mutable_context() = std::move(input.context);
  *item.mutable_message() = message;

  const policy::Queue* queue = nullptr;
  if (policy != nullptr) {
    item.set_policy_version(policy->version);
    queue = policy::selectQueue(*policy, policy::WorkItemAttributes(item));
  }
  if (queue == nullptr) {
    item.set_domain("default");
    setTime(item.mutable_sla_deadline(),
            input.arrival + unroutedSlaTarget(policy, message.channel()));
    return false;
  }
  const policy::SlaDeadline deadline =
      policy::slaDeadline(*policy, *queue, message.channel(), input.arrival);
  item.set_queue_id(queue->name);
  item.set_pool_id(queue->pool);
  item.set_domain(std::string(policy->domainOf(queue)));
  for (const auto& skill : queue->skills) item.add_required_skills(skill);
  setTime(item.mutable_sla_deadline(), deadline.at);
  item.set_after_hours(deadline.after_hours);
  // At enqueue: the SLA-risk boost applies only if the target is already within its window.
  item.set_priority(policy::effectivePriority(*queue, policy::WorkItemAttributes(item), deadline.at,
                                              input.arrival)
                        .value);
  return true;
}

}  // namespace switchboard::context
