// Producer metrics for the whole process: records acknowledged or failed per topic, and the
// time from enqueue to acknowledgement.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"

namespace switchboard::app {

class KafkaProbe : public kafka::ProducerObserver {
 public:
  explicit KafkaProbe(metrics::MetricsRegistry& metrics);
  void recordDelivered(std::string_view topic, std::chrono::microseconds latency, bool ok) override;

 private:
  prometheus::Family<prometheus::Counter>& delivered_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

}  // namespace switchboard::app
