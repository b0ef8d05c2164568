#include "core/metrics/metrics_registry.h"

#include <prometheus/text_serializer.h>

namespace switchboard::metrics {

std::string MetricsRegistry::render() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

}  // namespace switchboard::metrics
