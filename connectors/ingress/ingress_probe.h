// Metrics of the ingress host, in domain verbs. Series per channel are resolved once
// (channel()), so that the request path only increments counters it already holds; the only
// label lookups at request time are a rejection's reason, a notice's kind and a dead letter's
// outcome.
// Labels are bounded: a channel is a connector name, a reason comes from the connector's
// fixed set; never ids. Thread-safe (prometheus-cpp counters are atomic).
//
//   switchboard_ingress_requests_total{channel,outcome}      accepted|rejected|unavailable
//                                                            (unavailable includes the next)
//   switchboard_ingress_backpressure_total{channel,limit}    503 at once: requests|bytes in
//                                                            flight at their limit
//   switchboard_ingress_inflight_requests, _inflight_bytes   gauges: accepted requests (and
//                                                            their record bytes) awaiting
//                                                            their delivery reports
//   switchboard_ingress_rejects_total{channel,reason}
//   switchboard_ingress_notices_total{channel,kind}          recognised, not routed (echo ...)
//   switchboard_ingress_request_duration_seconds{channel}    histogram, request to answer
//   switchboard_dead_letters_total{source,reason}            written to the dead-letter topic
//   switchboard_dead_letter_failures_total{source}           could not be written
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "core/metrics/metrics_registry.h"

namespace switchboard::connectors {

class IngressProbe {
 public:
  using Duration = std::chrono::steady_clock::duration;

  // The series of one channel. Cheap to copy; valid as long as the registry.
  class ChannelProbe {
   public:
    void requestAccepted(Duration elapsed);
    void requestRejected(std::string_view reason, Duration elapsed);
    void kafkaUnavailable(Duration elapsed);
    // Refused at once because the in-flight limit `limit` ("requests" or "bytes") was reached.
    void backPressure(std::string_view limit, Duration elapsed);
    // The notices of one accepted request (NormalizedBatch::notices), one count each.
    void noticesAccepted(std::span<const std::string_view> kinds);
    // A bug: a connector produced something the host cannot route. Counted as rejected.
    void connectorBug(Duration elapsed);
    void deadLetterWritten(std::string_view reason);
    void deadLetterFailed();

   private:
    friend class IngressProbe;
    std::string channel_;
    std::string source_;
    prometheus::Counter* accepted_ = nullptr;
    prometheus::Counter* rejected_ = nullptr;
    prometheus::Counter* unavailable_ = nullptr;
    prometheus::Counter* dead_letter_failures_ = nullptr;
    prometheus::Counter* backpressure_requests_ = nullptr;
    prometheus::Counter* backpressure_bytes_ = nullptr;
    prometheus::Histogram* duration_ = nullptr;
    prometheus::Family<prometheus::Counter>* rejects_ = nullptr;
    prometheus::Family<prometheus::Counter>* notices_ = nullptr;
    prometheus::Family<prometheus::Counter>* dead_letters_ = nullptr;
  };

  explicit IngressProbe(metrics::MetricsRegistry& registry);

  // `channel` labels the ingress series; `dead_letter_source` ("connector/chat") the
  // dead-letter series.
  ChannelProbe channel(std::string_view channel, std::string_view dead_letter_source);

  // The in-flight gauges (all channels together), moved as requests start and finish waiting.
  prometheus::Gauge& inFlightRequests() { return inflight_requests_; }
  prometheus::Gauge& inFlightBytes() { return inflight_bytes_; }

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& rejects_;
  prometheus::Family<prometheus::Counter>& notices_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Counter>& dead_letter_failures_;
  prometheus::Family<prometheus::Counter>& backpressure_;
  prometheus::Gauge& inflight_requests_;
  prometheus::Gauge& inflight_bytes_;
};

}  // namespace switchboard::connectors
