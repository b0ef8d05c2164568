// Metrics of the agent HTTP API, in domain verbs. Every series is created up front, so the
// request path only increments counters it already holds. Thread-safe.
//
//   switchboard_agent_api_requests_total{action,outcome}
//     action:  presence | capacity | complete | accept | reject | transfer | unknown
//     outcome: accepted | rejected | unauthenticated | unavailable
#pragma once

#include <array>

#include <prometheus/counter.h>

#include "core/metrics/metrics_registry.h"

namespace switchboard::router {

enum class AgentAction {
  kPresence = 0,
  kCapacity,
  kComplete,
  kAccept,
  kReject,
  kTransfer,
  kUnknown
};
inline constexpr size_t kAgentActionCount = 7;

class AgentApiProbe {
 public:
  explicit AgentApiProbe(metrics::MetricsRegistry& registry);

  void requestAccepted(AgentAction action) { count(action, kAccepted); }
  void requestRejected(AgentAction action) { count(action, kRejected); }
  void unauthenticated(AgentAction action) { count(action, kUnauthenticated); }
  void kafkaUnavailable(AgentAction action) { count(action, kUnavailable); }

 private:
  enum Outcome { kAccepted = 0, kRejected, kUnauthenticated, kUnavailable, kOutcomeCount };
  void count(AgentAction action, Outcome outcome) {
    counters_[static_cast<size_t>(action)][outcome]->Increment();
  }
  std::array<std::array<prometheus::Counter*, kOutcomeCount>, kAgentActionCount> counters_{};
};

}  // namespace switchboard::router
