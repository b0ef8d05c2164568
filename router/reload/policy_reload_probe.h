// Metrics of routing-policy reloads, in domain verbs. Thread-safe (the watcher calls it under
// its own lock; prometheus-cpp families lock internally).
//
//   switchboard_policy_reloads_total{outcome}   applied | rejected | unchanged
//   switchboard_policy_info{version,source}      1 for the policy in force (one series)
//   switchboard_policy_last_reload_success_timestamp_seconds
//                                                when the policy in force was loaded (start-up
//                                                or the last applied reload), Unix seconds
#pragma once

#include <chrono>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include "core/metrics/metrics_registry.h"
#include "router/policy/policy.h"

namespace switchboard::router {

class PolicyReloadProbe {
 public:
  explicit PolicyReloadProbe(metrics::MetricsRegistry& registry);

  // `policy` is in force since `at` (start-up or an applied reload).
  void policyInForce(const policy::Policy& policy, std::chrono::system_clock::time_point at);
  void reloadApplied(const policy::Policy& policy, std::chrono::system_clock::time_point at) {
    applied_->Increment();
    policyInForce(policy, at);
  }
  void reloadRejected() { rejected_->Increment(); }
  void reloadUnchanged() { unchanged_->Increment(); }

 private:
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Counter* applied_;
  prometheus::Counter* rejected_;
  prometheus::Counter* unchanged_;
  prometheus::Family<prometheus::Gauge>& info_;
  prometheus::Gauge* info_current_ = nullptr;
  prometheus::Gauge* last_success_;
};

}  // namespace switchboard::router
