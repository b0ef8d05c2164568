#include "router/reload/policy_reload_probe.h"

namespace switchboard::router {
namespace {

prometheus::Family<prometheus::Counter>& reloadsFamily(metrics::MetricsRegistry& registry) {
  return prometheus::BuildCounter()
      .Name("switchboard_policy_reloads_total")
      .Help(
          "Checks of the routing policy file that found it changed, by outcome: applied, "
          "rejected (invalid or unreadable; the previous policy stays in force), unchanged "
          "(touched but the same content).")
      .Register(registry.registry());
}

}  // namespace

PolicyReloadProbe::PolicyReloadProbe(metrics::MetricsRegistry& registry)
    : reloads_(reloadsFamily(registry)),
      applied_(&reloads_.Add({{"outcome", "applied"}})),
      rejected_(&reloads_.Add({{"outcome", "rejected"}})),
      unchanged_(&reloads_.Add({{"outcome", "unchanged"}})),
      info_(prometheus::BuildGauge()
                .Name("switchboard_policy_info")
                .Help("The routing policy in force: its version (content hash) and source file; "
                      "always 1.")
                .Register(registry.registry())),
      last_success_(&prometheus::BuildGauge()
                         .Name("switchboard_policy_last_reload_success_timestamp_seconds")
                         .Help("When the routing policy in force was loaded (start-up or the last "
                               "applied reload), in Unix seconds.")
                         .Register(registry.registry())
                         .Add({})) {}

void PolicyReloadProbe::policyInForce(const policy::Policy& policy,
                                      std::chrono::system_clock::time_point at) {
  // One series: the old version's disappears, so `switchboard_policy_info == 1` names exactly
  // the policy in force.
  if (info_current_ != nullptr) info_.Remove(info_current_);
  info_current_ = &info_.Add({{"version", policy.version}, {"source", policy.source}});
  info_current_->Set(1);
  last_success_->Set(std::chrono::duration<double>(at.time_since_epoch()).count());
}

}  // namespace switchboard::router
