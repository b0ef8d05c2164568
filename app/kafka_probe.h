// Kafka metrics for the whole process: records acknowledged or failed per topic and the time
// from enqueue to acknowledgement (kafka::ProducerObserver, on the producer's poll thread), and
// the errors consumers report while polling (kafka::ConsumerErrorObserver, on each stage
// runner's thread). Construction makes the probe the process's consumer error observer;
// destruction unsets it (keep the probe alive until the consumers are closed).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/kafka/consumer.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"

namespace switchboard::app {

class KafkaProbe : public kafka::ProducerObserver, public kafka::ConsumerErrorObserver {
 public:
  explicit KafkaProbe(metrics::MetricsRegistry& metrics);
  ~KafkaProbe() override;
  KafkaProbe(const KafkaProbe&) = delete;
  KafkaProbe& operator=(const KafkaProbe&) = delete;

  void recordDelivered(std::string_view topic, std::chrono::microseconds latency, bool ok) override;
  // switchboard_kafka_consume_errors_total{stage, reason}: stage is the client id without its
  // "switchboard-" prefix, reason librdkafka's error name (rd_kafka_err2name, e.g.
  // "_TRANSPORT"): both bounded sets.
  void recordConsumeError(std::string_view client_id, rd_kafka_resp_err_t err) override;

  // The stage label of a consumer's client id ("switchboard-dispatch" -> "dispatch").
  static std::string stageLabel(std::string_view client_id);

 private:
  struct TopicSeries {
    prometheus::Counter* ok;
    prometheus::Counter* error;
    prometheus::Histogram* latency;
  };
  TopicSeries& seriesFor(std::string_view topic);

  prometheus::Family<prometheus::Counter>& delivered_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& consume_errors_;
  struct TopicHash {
    using is_transparent = void;  // look up by string_view without allocating
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, TopicSeries, TopicHash, std::equal_to<>> by_topic_;
  // Consumers poll on several threads: their series are cached under a lock.
  std::mutex consume_mutex_;
  std::map<std::pair<std::string, int>, prometheus::Counter*, std::less<>> consume_series_;
};

}  // namespace switchboard::app
