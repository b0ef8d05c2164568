// The identity stage: the router's first stage. Reads InboundMessages (keyed by sender
// address), drops provider retries by idempotency key, maps the sender's channel address to
// a customer id, and emits a WorkItem for the default pool (keyed by pool id, so that
// dispatch sees a pool's work in one task).
//
// State per task: "idem/<key>" → work item id, expiring after `dedupe_window` through a time
// index "idemt/<hour>/<key>"; "cust/<address>" → customer id.
// Cross-channel identity (CRM profiles, merges) and conversation context arrive with the
// router issue; this stage keeps their place.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "core/metrics/metrics_registry.h"
#include "core/stage/stage_processor.h"
#include "core/topics.h"

namespace switchboard::router {

struct IdentitySettings {
  std::string default_pool = "default";
  // How long a provider retry of the same message is recognised (SendGrid retries for 3 days).
  std::chrono::hours dedupe_window{24 * 7};
};

class IdentityProbe;

class IdentityStage : public stage::StageProcessor {
 public:
  IdentityStage(Topics topics, IdentitySettings settings, metrics::MetricsRegistry& metrics);
  ~IdentityStage() override;

  void open(stage::TaskContext& ctx) override;
  void process(const stage::InputRecord& record, stage::TaskContext& ctx) override;
  void tick(stage::TaskContext& ctx) override;
  void close(int32_t partition) override;

 private:
  Topics topics_;
  IdentitySettings settings_;
  std::unique_ptr<IdentityProbe> probe_;
  // Per task: the cutoff hour last purged, so that the purge scan runs once an hour.
  std::map<int32_t, std::string> purged_until_;
};

}  // namespace switchboard::router
