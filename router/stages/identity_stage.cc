#include "router/stages/identity_stage.h"

#include <cstdio>

#include "router/context/customer_ids.h"
#include "router/stages/identity_probe.h"
#include "switchboard/v1/customer_event.pb.h"
#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::router {
namespace {

constexpr std::string_view kIdemPrefix = "idem/";
constexpr std::string_view kIdemTimePrefix = "idemt/";

google::protobuf::Timestamp toTimestamp(std::chrono::system_clock::time_point t) {
  google::protobuf::Timestamp ts;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  ts.set_seconds(ns / 1000000000);
  ts.set_nanos(static_cast<int32_t>(ns % 1000000000));
  return ts;
}

std::string hourBucket(std::chrono::system_clock::time_point t) {
  auto hours = std::chrono::duration_cast<std::chrono::hours>(t.time_since_epoch()).count();
  char buf[24];
  std::snprintf(buf, sizeof buf, "%010lld", static_cast<long long>(hours));
  return buf;
}

}  // namespace

IdentityStage::IdentityStage(Topics topics, IdentitySettings settings,
                             metrics::MetricsRegistry& metrics)
    : topics_(std::move(topics)),
      settings_(std::move(settings)),
      probe_(std::make_unique<IdentityProbe>(metrics)) {}

IdentityStage::~IdentityStage() = default;

std::vector<std::string> IdentityStage::inputTopics() const {
  return {topics_.inbound, topics_.identity_links};
}

void IdentityStage::open(stage::TaskContext&) {}

void IdentityStage::close(int32_t partition) {
  purged_until_.erase(partition);
}

void IdentityStage::process(const stage::InputRecord& record, stage::TaskContext& ctx) {
  if (record.topic == topics_.inbound) return processInbound(record, ctx);
  if (record.topic == topics_.identity_links) return processLink(record, ctx);
  ctx.reject("unexpected_topic", "the identity stage reads inbound and identity-links only");
}

void IdentityStage::processInbound(const stage::InputRecord& record, stage::TaskContext& ctx) {
  v1::InboundMessage message;
  if (!message.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    ctx.reject("undecodable_record", "value is not a switchboard.v1.InboundMessage");
    return;
  }
  const std::string& idempotency_key = message.envelope().idempotency_key();
  if (idempotency_key.empty() || message.sender().value().empty()) {
    ctx.reject("invalid_record", "InboundMessage without idempotency key or sender address");
    return;
  }
  std::string idem_key = std::string(kIdemPrefix) + idempotency_key;
  if (ctx.get(idem_key)) {
    probe_->duplicateDropped();
    return;
  }
  const auto now = ctx.now();
  ctx.put(idem_key, context::workItemIdFor(message));
  ctx.put(std::string(kIdemTimePrefix) + hourBucket(now) + "/" + idempotency_key, "");

  // The address's customer: the CRM's id once a profile linked it, else one derived from the
  // address (the same on every replay and every instance).
  const std::string address_key = context::addressStateKey(message.sender());
  std::string customer_id;
  bool new_customer = false;
  if (auto known = ctx.get(address_key)) {
    customer_id = std::move(*known);
  } else {
    customer_id = context::derivedCustomerId(message.sender());
    ctx.put(address_key, customer_id);
    new_customer = true;
    probe_->newCustomer();
  }

  v1::CustomerMessage out_message;
  const std::string event_id =
      context::inputDerivedId("cm-", record.topic, record.partition, record.offset);
  v1::Envelope* env = out_message.mutable_envelope();
  env->set_event_id(event_id);
  env->set_idempotency_key(idempotency_key);
  env->set_trace_id(message.envelope().trace_id());
  *env->mutable_created_at() = toTimestamp(now);
  *env->mutable_received_at() = message.envelope().received_at();
  env->set_producer("router/identity");
  env->set_causation_id(message.envelope().event_id());
  out_message.set_customer_id(customer_id);
  out_message.set_new_customer(new_customer);
  probe_->messagePassed(message.channel());
  *out_message.mutable_message() = std::move(message);

  ctx.emit({.topic = topics_.customer_messages,
            .key = customer_id,
            .value = out_message.SerializeAsString(),
            .event_id = event_id,
            .event_type = "switchboard.v1.CustomerMessage"});
}

void IdentityStage::processLink(const stage::InputRecord& record, stage::TaskContext& ctx) {
  v1::AddressLink link;
  if (!link.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    ctx.reject("undecodable_record", "value is not a switchboard.v1.AddressLink");
    return;
  }
  if (link.address().value().empty() || link.customer_id().empty()) {
    ctx.reject("invalid_record", "AddressLink without address or customer id");
    return;
  }
  // Keyed by anything else, the link sits in another partition than the address's messages,
  // and this task would answer for an address it never sees.
  if (record.key != link.address().value()) {
    ctx.reject("invalid_record", "record key is not the AddressLink's address value");
    return;
  }
  const std::string address_key = context::addressStateKey(link.address());
  std::optional<std::string> previous = ctx.get(address_key);
  if (previous && *previous == link.customer_id()) {
    probe_->linkUnchanged();
    return;
  }
  ctx.put(address_key, link.customer_id());
  if (!previous || previous->empty()) {
    probe_->linkNew();
    return;
  }
  // The address spoke for another customer id: that id's history joins the linked one.
  probe_->linkChanged();
  v1::CustomerEvent merge;
  const std::string event_id =
      context::inputDerivedId("mg-", record.topic, record.partition, record.offset);
  v1::Envelope* env = merge.mutable_envelope();
  env->set_event_id(event_id);
  env->set_trace_id(link.envelope().trace_id());
  *env->mutable_created_at() = toTimestamp(ctx.now());
  env->set_producer("router/identity");
  env->set_causation_id(link.envelope().event_id());
  merge.set_customer_id(*previous);
  merge.mutable_merge()->set_into_customer_id(link.customer_id());
  ctx.emit({.topic = topics_.customer_events,
            .key = *previous,
            .value = merge.SerializeAsString(),
            .event_id = event_id,
            .event_type = "switchboard.v1.CustomerEvent"});
}

void IdentityStage::tick(stage::TaskContext& ctx) {
  // Forget idempotency keys older than the window, oldest hour first.
  std::string cutoff = hourBucket(ctx.now() - settings_.dedupe_window);
  std::string& purged = purged_until_[ctx.partition()];
  if (purged == cutoff) return;
  purged = cutoff;
  std::vector<std::string> expired;
  ctx.scan(kIdemTimePrefix, [&](std::string_view key, std::string_view) {
    std::string_view rest = key.substr(kIdemTimePrefix.size());
    if (rest.substr(0, cutoff.size()) >= cutoff) return;
    expired.emplace_back(key);
  });
  for (const auto& key : expired) {
    std::string_view idem =
        std::string_view(key).substr(kIdemTimePrefix.size() + cutoff.size() + 1);
    ctx.erase(std::string(kIdemPrefix) + std::string(idem));
    ctx.erase(key);
  }
}

}  // namespace switchboard::router
