// The context stage: between identity and dispatch. Inputs, co-partitioned and keyed by
// customer id: CustomerMessages (from identity), CustomerProfiles (from the CRM) and
// CustomerEvents (served/finished from dispatch, merge from identity, transfer from itself).
// One record per customer, "ctx/<customer_id>" → v1::ContextState (context_state.proto; the
// logic in router/context/context_record.h).
//
// - CustomerMessage: threads it into a conversation, records the interaction, and emits the
//   WorkItem (queue, priority, skills, SLA deadline, domain from the current policy; context
//   attached) on work-items keyed by domain, event id = work item id. A message for a customer
//   merged away is sent on to the surviving id (customer-messages, at most
//   `max_forward_hops` times).
// - CustomerProfile: updates the profile summary and emits an AddressLink per address to
//   identity-links (keyed by address), so identity maps those addresses to the CRM id.
// - served / finished: last agent, and the agent of the interaction.
// - merge (this id X into Y): X's record goes to Y as a `transfer` event; X keeps only
//   `forwarded_to` = Y. transfer: X's history is merged into Y's.
// Undecodable input → reject("undecodable_record"); missing ids → reject("invalid_record").
//
// Lifecycle: constructed once per process; process() per record, all on the runner's thread.
// `current_policy` is called once per customer message (it may return null: no policy yet).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics/metrics_registry.h"
#include "core/stage/stage_processor.h"
#include "core/topics.h"
#include "router/context/context_record.h"
#include "router/policy/policy.h"
#include "router/stages/context_probe.h"

namespace switchboard::router {

struct ContextSettings {
  context::ContextLimits limits;
  // A message forwarded more often than this (a cycle of merges) is dead-lettered.
  uint32_t max_forward_hops = 8;
};

class ContextStage final : public stage::StageProcessor {
 public:
  using PolicySource = std::function<std::shared_ptr<const policy::Policy>()>;

  ContextStage(Topics topics, metrics::MetricsRegistry& metrics, PolicySource current_policy,
               ContextSettings settings = {});

  // The topics to subscribe this processor to (co-partitioned): customer_messages, profiles,
  // customer_events.
  std::vector<std::string> inputTopics() const;

  void open(stage::TaskContext&) override {}  // no caches: every record is read from state
  void process(const stage::InputRecord& record, stage::TaskContext& ctx) override;
  void close(int32_t) override {}

  // "ctx/<customer_id>".
  static std::string stateKey(std::string_view customer_id);

 private:
  void processMessage(const stage::InputRecord& record, stage::TaskContext& ctx);
  void processProfile(const stage::InputRecord& record, stage::TaskContext& ctx);
  void processEvent(const stage::InputRecord& record, stage::TaskContext& ctx);
  // The customer's record; empty when none (or unreadable, which is logged).
  v1::ContextState load(stage::TaskContext& ctx, std::string_view customer_id);
  void save(stage::TaskContext& ctx, std::string_view customer_id, const v1::ContextState& state);

  Topics topics_;
  PolicySource current_policy_;
  ContextProbe probe_;
  ContextSettings settings_;
  std::string buffer_;  // serialization scratch, reused
};

}  // namespace switchboard::router
