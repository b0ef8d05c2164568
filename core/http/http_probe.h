// Metrics of the HTTP server's own limits, in domain verbs: requests it refused before any
// handler saw them. Labels are bounded (a fixed reason list, never paths or addresses).
// Thread-safe (prometheus-cpp counters are atomic); the series are resolved at construction.
//
//   switchboard_http_refused_total{reason}   body_too_large (413), header_too_large (431),
//                                            too_many_header_fields (431), timeout (408),
//                                            malformed (400), too_many_connections (503
//                                            on accept)
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include <prometheus/counter.h>

#include "core/metrics/metrics_registry.h"

namespace switchboard::http {

enum class Refusal : size_t {
  kBodyTooLarge,
  kHeaderTooLarge,
  kTooManyHeaderFields,
  kTimeout,
  kMalformed,
  kTooManyConnections,
  kCount,
};

std::string_view refusalName(Refusal refusal);

class HttpProbe {
 public:
  explicit HttpProbe(metrics::MetricsRegistry& registry);
  void refused(Refusal refusal) { refused_[static_cast<size_t>(refusal)]->Increment(); }

 private:
  std::array<prometheus::Counter*, static_cast<size_t>(Refusal::kCount)> refused_{};
};

}  // namespace switchboard::http
