#include "router/stages/context_stage.h"

#include "core/log.h"
#include "router/context/customer_ids.h"
#include "router/context/work_item_builder.h"
#include "switchboard/v1/customer_event.pb.h"
#include "switchboard/v1/customer_profile.pb.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::router {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

constexpr std::string_view kProducer = "router/context";
// Marks an event the stage sent on from a merged id: it is never sent on a second time.
constexpr std::string_view kForwardProducer = "router/context/forward";

void setTime(google::protobuf::Timestamp* ts, TimePoint t) {
  const auto ms = context::toMillis(t);
  ts->set_seconds(ms / 1000);
  ts->set_nanos(static_cast<int32_t>((ms % 1000) * 1000000));
}

TimePoint timeOr(const google::protobuf::Timestamp& ts, TimePoint fallback) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return fallback;
  return context::fromMillis(ts.seconds() * 1000 + ts.nanos() / 1000000);
}

TimePoint recordTime(const stage::InputRecord& record, const stage::TaskContext& ctx) {
  return record.timestamp.time_since_epoch().count() != 0 ? record.timestamp : ctx.now();
}

template <typename Message>
bool parse(Message& message, const stage::InputRecord& record) {
  return message.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()));
}

}  // namespace

ContextStage::ContextStage(Topics topics, metrics::MetricsRegistry& metrics,
                           PolicySource current_policy, ContextSettings settings)
    : topics_(std::move(topics)),
      current_policy_(std::move(current_policy)),
      probe_(metrics),
      settings_(std::move(settings)) {}

std::vector<std::string> ContextStage::inputTopics() const {
  return {topics_.customer_messages, topics_.profiles, topics_.customer_events};
}

std::string ContextStage::stateKey(std::string_view customer_id) {
  std::string key = "ctx/";
  key += customer_id;
  return key;
}

void ContextStage::process(const stage::InputRecord& record, stage::TaskContext& ctx) {
  if (record.topic == topics_.customer_messages) return processMessage(record, ctx);
  if (record.topic == topics_.profiles) return processProfile(record, ctx);
  if (record.topic == topics_.customer_events) return processEvent(record, ctx);
  ctx.reject("unexpected_topic",
             "the context stage reads customer-messages, profiles and customer-events only");
}

v1::ContextState ContextStage::load(stage::TaskContext& ctx, std::string_view customer_id) {
  v1::ContextState state;
  if (auto stored = ctx.get(stateKey(customer_id))) {
    if (!state.ParseFromString(*stored)) {
      // Only a bug writes an unreadable record; starting afresh loses history, not messages.
      log::warn("context", "unreadable context record of a customer; starting it afresh");
      state.Clear();
    }
  }
  return state;
}

void ContextStage::save(stage::TaskContext& ctx, std::string_view customer_id,
                        const v1::ContextState& state) {
  buffer_.clear();
  state.SerializeToString(&buffer_);
  probe_.stateSaved(buffer_.size());
  ctx.put(stateKey(customer_id), buffer_);
}

void ContextStage::processMessage(const stage::InputRecord& record, stage::TaskContext& ctx) {
  v1::CustomerMessage customer_message;
  if (!parse(customer_message, record)) {
    return ctx.reject("undecodable_record", "value is not a switchboard.v1.CustomerMessage");
  }
  const std::string& customer_id = customer_message.customer_id();
  if (customer_id.empty() || !customer_message.has_message() ||
      context::messageKey(customer_message.message()).empty()) {
    return ctx.reject("invalid_record",
                      "CustomerMessage without customer id, message or message key");
  }
  v1::ContextState state = load(ctx, customer_id);

  if (!state.forwarded_to().empty()) {
    // Merged away: the surviving id owns the history, so the message belongs there.
    if (customer_message.forward_hops() >= settings_.max_forward_hops) {
      probe_.dropped("forward_loop");
      return ctx.reject("forward_loop", "CustomerMessage forwarded along a cycle of merges");
    }
    const std::string into = state.forwarded_to();
    const std::string event_id =
        context::inputDerivedId("fw-", record.topic, record.partition, record.offset);
    customer_message.set_customer_id(into);
    customer_message.set_forward_hops(customer_message.forward_hops() + 1);
    customer_message.mutable_envelope()->set_causation_id(customer_message.envelope().event_id());
    customer_message.mutable_envelope()->set_event_id(event_id);
    probe_.forwarded("message");
    ctx.emit({.topic = topics_.customer_messages,
              .key = into,
              .value = customer_message.SerializeAsString(),
              .event_id = event_id,
              .event_type = "switchboard.v1.CustomerMessage"});
    return;
  }

  const std::shared_ptr<const policy::Policy> policy =
      current_policy_ ? current_policy_() : nullptr;
  const v1::InboundMessage& message = customer_message.message();
  const std::string work_item_id = context::workItemIdFor(message);
  if (context::seenMessage(state, work_item_id)) {
    // Read twice (see ContextState.message_hashes): its work item left the first time, and
    // whatever this customer's context has become since is not what that item carried.
    probe_.dropped("duplicate_message");
    return;
  }
  const TimePoint arrival = context::arrivalTime(message, recordTime(record, ctx));
  const context::MessageApplied applied = context::applyMessage(
      state, customer_id, message, work_item_id,
      context::conversationWindow(policy.get(), message.channel()), arrival, settings_.limits);
  save(ctx, customer_id, state);

  v1::WorkItem item;
  const bool routed =
      context::buildWorkItem(policy.get(),
                             {.message = &customer_message,
                              .conversation_id = applied.conversation.conversation_id(),
                              .context = context::toCustomerContext(
                                  state, customer_id, &applied.conversation, applied.joined_by),
                              .arrival = arrival,
                              .created_at = ctx.now()},
                             item);
  probe_.messageThreaded(message.channel(), applied.joined_by);
  if (!routed) probe_.unrouted();
  std::string domain = item.domain();
  ctx.emit({.topic = topics_.work_items,
            .key = std::move(domain),
            .value = item.SerializeAsString(),
            .event_id = work_item_id,
            .event_type = "switchboard.v1.WorkItem"});
}

void ContextStage::processProfile(const stage::InputRecord& record, stage::TaskContext& ctx) {
  v1::CustomerProfile profile;
  if (!parse(profile, record)) {
    return ctx.reject("undecodable_record", "value is not a switchboard.v1.CustomerProfile");
  }
  if (profile.customer_id().empty()) {
    return ctx.reject("invalid_record", "CustomerProfile without customer id");
  }
  v1::ContextState state = load(ctx, profile.customer_id());
  context::applyProfile(state, profile, settings_.limits);
  save(ctx, profile.customer_id(), state);
  probe_.event(profile.deleted() ? "profile_deleted" : "profile");

  // Identity learns each address → CRM id; an address that had another id merges it here.
  int index = 0;
  for (const v1::Address& address : profile.addresses()) {
    if (address.value().empty()) continue;
    v1::AddressLink link;
    const std::string event_id =
        context::inputDerivedId("al-", record.topic, record.partition, record.offset, index++);
    v1::Envelope* env = link.mutable_envelope();
    env->set_event_id(event_id);
    env->set_trace_id(profile.envelope().trace_id());
    setTime(env->mutable_created_at(), ctx.now());
    env->set_producer(std::string(kProducer));
    env->set_causation_id(profile.envelope().event_id());
    *link.mutable_address() = address;
    link.mutable_address()->clear_display_name();
    link.set_customer_id(profile.customer_id());
    ctx.emit({.topic = topics_.identity_links,
              .key = address.value(),
              .value = link.SerializeAsString(),
              .event_id = event_id,
              .event_type = "switchboard.v1.AddressLink"});
  }
}

void ContextStage::processEvent(const stage::InputRecord& record, stage::TaskContext& ctx) {
  v1::CustomerEvent event;
  if (!parse(event, record)) {
    return ctx.reject("undecodable_record", "value is not a switchboard.v1.CustomerEvent");
  }
  const std::string customer_id = event.customer_id();
  if (customer_id.empty() || event.event_case() == v1::CustomerEvent::EVENT_NOT_SET) {
    return ctx.reject("invalid_record", "CustomerEvent without customer id or event");
  }
  v1::ContextState state = load(ctx, customer_id);

  // A merged id's served/finished/transfer events belong to the surviving id; sent on once
  // (a second hop would mean a cycle of merges).
  if (!state.forwarded_to().empty() && event.event_case() != v1::CustomerEvent::kMerge &&
      !(event.has_transfer() && event.transfer().from_customer_id() == state.forwarded_to())) {
    if (event.envelope().producer() == kForwardProducer) {
      probe_.dropped("forward_loop");
      return;
    }
    const std::string into = state.forwarded_to();
    const std::string event_id =
        context::inputDerivedId("fw-", record.topic, record.partition, record.offset);
    event.set_customer_id(into);
    event.mutable_envelope()->set_causation_id(event.envelope().event_id());
    event.mutable_envelope()->set_event_id(event_id);
    event.mutable_envelope()->set_producer(std::string(kForwardProducer));
    probe_.forwarded(event.has_transfer() ? "transfer" : "event");
    ctx.emit({.topic = topics_.customer_events,
              .key = into,
              .value = event.SerializeAsString(),
              .event_id = event_id,
              .event_type = "switchboard.v1.CustomerEvent"});
    return;
  }

  switch (event.event_case()) {
    case v1::CustomerEvent::kServed: {
      const v1::ServedBy& served = event.served();
      context::applyServed(state, served.agent_id(), served.work_item_id(),
                           timeOr(served.at(), recordTime(record, ctx)));
      probe_.event("served");
      break;
    }
    case v1::CustomerEvent::kFinished: {
      const v1::WorkFinished& finished = event.finished();
      context::applyServed(state, finished.agent_id(), finished.work_item_id(),
                           timeOr(finished.at(), recordTime(record, ctx)));
      probe_.event("finished");
      break;
    }
    case v1::CustomerEvent::kMerge: {
      const std::string& into = event.merge().into_customer_id();
      if (into.empty()) return ctx.reject("invalid_record", "merge without into_customer_id");
      if (into == customer_id) return;
      v1::CustomerEvent transfer;
      const std::string event_id =
          context::inputDerivedId("tr-", record.topic, record.partition, record.offset);
      v1::Envelope* env = transfer.mutable_envelope();
      env->set_event_id(event_id);
      env->set_trace_id(event.envelope().trace_id());
      setTime(env->mutable_created_at(), ctx.now());
      env->set_producer(std::string(kProducer));
      env->set_causation_id(event.envelope().event_id());
      transfer.set_customer_id(into);
      v1::ContextTransfer* body = transfer.mutable_transfer();
      body->set_from_customer_id(customer_id);
      *body->mutable_state() = context::detachForMerge(state, into);
      *body->mutable_context() = context::toCustomerContext(body->state(), customer_id);
      probe_.event("merge");
      ctx.emit({.topic = topics_.customer_events,
                .key = into,
                .value = transfer.SerializeAsString(),
                .event_id = event_id,
                .event_type = "switchboard.v1.CustomerEvent"});
      break;
    }
    case v1::CustomerEvent::kTransfer: {
      const v1::ContextTransfer& transfer = event.transfer();
      if (transfer.from_customer_id().empty()) {
        return ctx.reject("invalid_record", "transfer without from_customer_id");
      }
      if (transfer.from_customer_id() == customer_id) return;
      context::applyTransfer(
          state, transfer.from_customer_id(),
          transfer.has_state() ? transfer.state() : context::stateFromContext(transfer.context()),
          settings_.limits);
      probe_.event("transfer");
      break;
    }
    case v1::CustomerEvent::EVENT_NOT_SET: return;
  }
  save(ctx, customer_id, state);
}

}  // namespace switchboard::router
