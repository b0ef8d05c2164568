#include "app/kafka_probe.h"

namespace switchboard::app {

KafkaProbe::KafkaProbe(metrics::MetricsRegistry& metrics)
    : delivered_(prometheus::BuildCounter()
                     .Name("switchboard_kafka_produced_total")
                     .Help("Records the broker acknowledged (ok) or that failed, per topic")
                     .Register(metrics.registry())),
      latency_(prometheus::BuildHistogram()
                   .Name("switchboard_kafka_delivery_latency_seconds")
                   .Help("Time from produce to the broker's acknowledgement, per topic")
                   .Register(metrics.registry())),
      consume_errors_(prometheus::BuildCounter()
                          .Name("switchboard_kafka_consume_errors_total")
                          .Help("Errors consumers reported while polling, per stage and "
                                "librdkafka error name")
                          .Register(metrics.registry())) {
  kafka::setConsumerErrorObserver(this);
}

KafkaProbe::~KafkaProbe() {
  kafka::setConsumerErrorObserver(nullptr);
}

std::string KafkaProbe::stageLabel(std::string_view client_id) {
  constexpr std::string_view kPrefix = "switchboard-";
  if (client_id.starts_with(kPrefix) && client_id.size() > kPrefix.size()) {
    client_id.remove_prefix(kPrefix.size());
  }
  return std::string(client_id);
}

void KafkaProbe::recordConsumeError(std::string_view client_id, rd_kafka_resp_err_t err) {
  std::lock_guard<std::mutex> lock(consume_mutex_);
  auto key = std::make_pair(std::string(client_id), static_cast<int>(err));
  auto it = consume_series_.find(key);
  if (it == consume_series_.end()) {
    prometheus::Counter* counter = &consume_errors_.Add(
        {{"stage", stageLabel(client_id)}, {"reason", rd_kafka_err2name(err)}});
    it = consume_series_.emplace(std::move(key), counter).first;
  }
  it->second->Increment();
}

KafkaProbe::TopicSeries& KafkaProbe::seriesFor(std::string_view topic) {
  auto it = by_topic_.find(topic);
  if (it != by_topic_.end()) return it->second;
  std::string key(topic);
  // Topic names are a fixed, small set: a bounded label.
  TopicSeries series{&delivered_.Add({{"topic", key}, {"result", "ok"}}),
                     &delivered_.Add({{"topic", key}, {"result", "error"}}),
                     &latency_.Add({{"topic", key}}, prometheus::Histogram::BucketBoundaries{
                                                         0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                         0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})};
  return by_topic_.emplace(std::move(key), series).first->second;
}

void KafkaProbe::recordDelivered(std::string_view topic, std::chrono::microseconds latency,
                                 bool ok) {
  TopicSeries& series = seriesFor(topic);
  if (ok) {
    series.ok->Increment();
    series.latency->Observe(static_cast<double>(latency.count()) / 1e6);
  } else {
    series.error->Increment();
  }
}

}  // namespace switchboard::app
