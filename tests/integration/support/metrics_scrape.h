// Reads one sample from a Prometheus text exposition, the way a scraper would.
#pragma once

#include <optional>
#include <string>

namespace switchboard::testing {

// The value of the sample whose name and labels are exactly `series`, e.g.
// `switchboard_ingress_requests_total{channel="chat",outcome="accepted"}` (labels in the
// order the exposition prints them), or nullopt when the series is absent.
std::optional<double> sampleValue(const std::string& exposition, const std::string& series);

}  // namespace switchboard::testing
