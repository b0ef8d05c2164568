#include "router/api/agent_api_probe.h"

#include <string>

#include <prometheus/family.h>

namespace switchboard::router {

AgentApiProbe::AgentApiProbe(metrics::MetricsRegistry& registry) {
  auto& family = prometheus::BuildCounter()
                     .Name("switchboard_agent_api_requests_total")
                     .Help("Agent API requests by action and outcome")
                     .Register(registry.registry());
  constexpr std::array<const char*, kAgentActionCount> kActions = {
      "presence", "capacity", "complete", "accept", "reject", "transfer", "unknown"};
  constexpr std::array<const char*, kOutcomeCount> kOutcomes = {"accepted", "rejected",
                                                                "unauthenticated", "unavailable"};
  for (size_t a = 0; a < kAgentActionCount; ++a) {
    for (size_t o = 0; o < kOutcomeCount; ++o) {
      counters_[a][o] = &family.Add({{"action", kActions[a]}, {"outcome", kOutcomes[o]}});
    }
  }
}

}  // namespace switchboard::router
