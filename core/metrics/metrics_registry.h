// The process's Prometheus registry and its text exposition for GET /metrics. Components get
// their metric families from registry() inside their own *_probe class.
#pragma once

#include <memory>
#include <string>

#include <prometheus/registry.h>

namespace switchboard::metrics {

class MetricsRegistry {
 public:
  MetricsRegistry() : registry_(std::make_shared<prometheus::Registry>()) {}
  prometheus::Registry& registry() { return *registry_; }
  // Prometheus text format 0.0.4.
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

}  // namespace switchboard::metrics
