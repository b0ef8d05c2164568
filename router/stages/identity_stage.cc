#include "router/stages/identity_stage.h"

#include <cstdio>

#include <prometheus/counter.h>

#include "core/crypto/digest.h"
#include "router/stages/sla_targets.h"
#include "switchboard/v1/inbound_message.pb.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::router {

class IdentityProbe {
 public:
  explicit IdentityProbe(metrics::MetricsRegistry& metrics)
      : messages_(prometheus::BuildCounter()
                      .Name("switchboard_router_inbound_messages_total")
                      .Help("Inbound messages the identity stage turned into work items")
                      .Register(metrics.registry())),
        duplicates_(prometheus::BuildCounter()
                        .Name("switchboard_router_duplicates_total")
                        .Help("Provider retries recognised by idempotency key and dropped")
                        .Register(metrics.registry())
                        .Add({{"stage", "identity"}})),
        new_customers_(prometheus::BuildCounter()
                           .Name("switchboard_router_new_customers_total")
                           .Help("Senders seen for the first time")
                           .Register(metrics.registry())
                           .Add({})) {}

  void messageRouted(v1::Channel channel) {
    messages_.Add({{"channel", channelLabel(channel)}}).Increment();
  }
  void duplicateDropped() { duplicates_.Increment(); }
  void newCustomer() { new_customers_.Increment(); }

  static std::string channelLabel(v1::Channel channel) {
    std::string name = v1::Channel_Name(channel);
    constexpr std::string_view kPrefix = "CHANNEL_";
    if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name;
  }

 private:
  prometheus::Family<prometheus::Counter>& messages_;
  prometheus::Counter& duplicates_;
  prometheus::Counter& new_customers_;
};

namespace {

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

void IdentityStage::open(stage::TaskContext&) {}

void IdentityStage::close(int32_t partition) {
  purged_until_.erase(partition);
}

void IdentityStage::process(const stage::InputRecord& record, stage::TaskContext& ctx) {
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
  std::string idem_key = "idem/" + idempotency_key;
  if (ctx.get(idem_key)) {
    probe_->duplicateDropped();
    return;
  }
  auto now = ctx.now();
  std::string work_item_id = crypto::derivedId("wi-", idempotency_key);
  ctx.put(idem_key, work_item_id);
  ctx.put("idemt/" + hourBucket(now) + "/" + idempotency_key, "");

  // One address, one customer, until CRM profiles link addresses (router issue).
  std::string address_key = "cust/" + message.sender().value();
  std::string customer_id;
  if (auto known = ctx.get(address_key)) {
    customer_id = *known;
  } else {
    customer_id = crypto::derivedId("cus-", message.sender().value(), 20);
    ctx.put(address_key, customer_id);
    probe_->newCustomer();
  }

  v1::WorkItem item;
  auto* env = item.mutable_envelope();
  env->set_event_id(work_item_id);
  env->set_idempotency_key(idempotency_key);
  env->set_trace_id(message.envelope().trace_id());
  *env->mutable_created_at() = toTimestamp(now);
  *env->mutable_received_at() = message.envelope().received_at();
  env->set_producer("router/identity");
  env->set_causation_id(message.envelope().event_id());
  item.set_work_item_id(work_item_id);
  item.set_customer_id(customer_id);
  const std::string& thread = message.thread().provider_conversation_id();
  item.set_conversation_id(crypto::derivedId("cnv-", customer_id + "/" + thread, 20));
  item.set_channel(message.channel());
  item.set_pool_id(settings_.default_pool);
  item.set_queue_id("default");
  item.set_priority(0);
  *item.mutable_enqueued_at() = toTimestamp(now);
  *item.mutable_sla_deadline() = toTimestamp(now + defaultSlaTarget(message.channel()));
  item.set_language(message.language());
  probe_->messageRouted(message.channel());
  *item.mutable_message() = std::move(message);

  stage::Output out;
  out.topic = topics_.work_items;
  out.key = settings_.default_pool;
  out.value = item.SerializeAsString();
  out.event_id = work_item_id;
  out.event_type = "switchboard.v1.WorkItem";
  ctx.emit(std::move(out));
}

void IdentityStage::tick(stage::TaskContext& ctx) {
  // Forget idempotency keys older than the window, oldest hour first.
  std::string cutoff = hourBucket(ctx.now() - settings_.dedupe_window);
  std::string& purged = purged_until_[ctx.partition()];
  if (purged == cutoff) return;
  purged = cutoff;
  std::vector<std::string> expired;
  ctx.scan("idemt/", [&](std::string_view key, std::string_view) {
    std::string_view rest = key.substr(6);
    if (rest.substr(0, cutoff.size()) >= cutoff) return;
    expired.emplace_back(key);
  });
  for (const auto& key : expired) {
    std::string_view idem = std::string_view(key).substr(6 + cutoff.size() + 1);
    ctx.erase("idem/" + std::string(idem));
    ctx.erase(key);
  }
}

}  // namespace switchboard::router
