#include "app/kafka_probe.h"

#include <string>

namespace switchboard::app {

KafkaProbe::KafkaProbe(metrics::MetricsRegistry& metrics)
    : delivered_(prometheus::BuildCounter()
                     .Name("switchboard_kafka_produced_total")
                     .Help("Records the broker acknowledged (ok) or that failed, per topic")
                     .Register(metrics.registry())),
      latency_(prometheus::BuildHistogram()
                   .Name("switchboard_kafka_delivery_latency_seconds")
                   .Help("Time from produce to the broker's acknowledgement, per topic")
                   .Register(metrics.registry())) {}

void KafkaProbe::recordDelivered(std::string_view topic, std::chrono::microseconds latency,
                                 bool ok) {
  // Topic names are a fixed, small set: a bounded label.
  std::string t(topic);
  delivered_.Add({{"topic", t}, {"result", ok ? "ok" : "error"}}).Increment();
  if (ok) {
    latency_
        .Add({{"topic", t}},
             prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})
        .Observe(static_cast<double>(latency.count()) / 1e6);
  }
}

}  // namespace switchboard::app
