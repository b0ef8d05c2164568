// Producer metrics for the whole process: records acknowledged or failed per topic, and the
// time from enqueue to acknowledgement. Called only on the producer's poll thread, so the
// per-topic cache needs no lock; prometheus-cpp's family lock is taken once per topic.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <string>
#include <unordered_map>

#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"

namespace switchboard::app {

class KafkaProbe : public kafka::ProducerObserver {
 public:
  explicit KafkaProbe(metrics::MetricsRegistry& metrics);
  void recordDelivered(std::string_view topic, std::chrono::microseconds latency, bool ok) override;

 private:
  struct TopicSeries {
    prometheus::Counter* ok;
    prometheus::Counter* error;
    prometheus::Histogram* latency;
  };
  TopicSeries& seriesFor(std::string_view topic);

  prometheus::Family<prometheus::Counter>& delivered_;
  prometheus::Family<prometheus::Histogram>& latency_;
  struct TopicHash {
    using is_transparent = void;  // look up by string_view without allocating
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, TopicSeries, TopicHash, std::equal_to<>> by_topic_;
};

}  // namespace switchboard::app
