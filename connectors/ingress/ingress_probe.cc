#include "connectors/ingress/ingress_probe.h"

namespace switchboard::connectors {
namespace {

double seconds(IngressProbe::Duration elapsed) {
  return std::chrono::duration<double>(elapsed).count();
}

// 1 ms to ~16 s: an answer waits for the Kafka delivery report (acks=all).
prometheus::Histogram::BucketBoundaries durationBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 16};
}

}  // namespace

IngressProbe::IngressProbe(metrics::MetricsRegistry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("switchboard_ingress_requests_total")
                    .Help("Ingress requests by channel and outcome (accepted, rejected, "
                          "unavailable)")
                    .Register(registry.registry())),
      rejects_(prometheus::BuildCounter()
                   .Name("switchboard_ingress_rejects_total")
                   .Help("Ingress requests refused by a connector, by channel and reason")
                   .Register(registry.registry())),
      notices_(prometheus::BuildCounter()
                   .Name("switchboard_ingress_notices_total")
                   .Help("Provider events recognised but not routed (echoes, read and delivery "
                         "receipts, statuses ...), by channel and kind, in accepted requests")
                   .Register(registry.registry())),
      duration_(prometheus::BuildHistogram()
                    .Name("switchboard_ingress_request_duration_seconds")
                    .Help("Time from receiving an ingress request to answering it")
                    .Register(registry.registry())),
      dead_letters_(prometheus::BuildCounter()
                        .Name("switchboard_dead_letters_total")
                        .Help("Records written to the dead-letter topic, by source and reason")
                        .Register(registry.registry())),
      dead_letter_failures_(prometheus::BuildCounter()
                                .Name("switchboard_dead_letter_failures_total")
                                .Help("Dead letters that could not be written, by source")
                                .Register(registry.registry())),
      backpressure_(prometheus::BuildCounter()
                        .Name("switchboard_ingress_backpressure_total")
                        .Help("Ingress requests answered 503 at once because the requests or "
                              "bytes awaiting Kafka were at their limit, by channel and limit")
                        .Register(registry.registry())),
      inflight_requests_(prometheus::BuildGauge()
                             .Name("switchboard_ingress_inflight_requests")
                             .Help("Accepted ingress requests waiting for their Kafka delivery "
                                   "reports (limit: --max-inflight-requests)")
                             .Register(registry.registry())
                             .Add({})),
      inflight_bytes_(prometheus::BuildGauge()
                          .Name("switchboard_ingress_inflight_bytes")
                          .Help("Record bytes of the ingress requests waiting for their Kafka "
                                "delivery reports (limit: --max-inflight-bytes)")
                          .Register(registry.registry())
                          .Add({})) {}

IngressProbe::ChannelProbe IngressProbe::channel(std::string_view channel,
                                                 std::string_view dead_letter_source) {
  ChannelProbe probe;
  probe.channel_ = channel;
  probe.source_ = dead_letter_source;
  probe.accepted_ = &requests_.Add({{"channel", probe.channel_}, {"outcome", "accepted"}});
  probe.rejected_ = &requests_.Add({{"channel", probe.channel_}, {"outcome", "rejected"}});
  probe.unavailable_ = &requests_.Add({{"channel", probe.channel_}, {"outcome", "unavailable"}});
  probe.duration_ = &duration_.Add({{"channel", probe.channel_}}, durationBuckets());
  probe.dead_letter_failures_ = &dead_letter_failures_.Add({{"source", probe.source_}});
  probe.backpressure_requests_ =
      &backpressure_.Add({{"channel", probe.channel_}, {"limit", "requests"}});
  probe.backpressure_bytes_ = &backpressure_.Add({{"channel", probe.channel_}, {"limit", "bytes"}});
  probe.rejects_ = &rejects_;
  probe.notices_ = &notices_;
  probe.dead_letters_ = &dead_letters_;
  return probe;
}

void IngressProbe::ChannelProbe::requestAccepted(Duration elapsed) {
  accepted_->Increment();
  duration_->Observe(seconds(elapsed));
}

void IngressProbe::ChannelProbe::requestRejected(std::string_view reason, Duration elapsed) {
  rejected_->Increment();
  rejects_->Add({{"channel", channel_}, {"reason", std::string(reason)}}).Increment();
  duration_->Observe(seconds(elapsed));
}

void IngressProbe::ChannelProbe::kafkaUnavailable(Duration elapsed) {
  unavailable_->Increment();
  duration_->Observe(seconds(elapsed));
}

void IngressProbe::ChannelProbe::backPressure(std::string_view limit, Duration elapsed) {
  (limit == "bytes" ? backpressure_bytes_ : backpressure_requests_)->Increment();
  unavailable_->Increment();
  duration_->Observe(seconds(elapsed));
}

void IngressProbe::ChannelProbe::noticesAccepted(std::span<const std::string_view> kinds) {
  // Runs of one kind are common (a page's read receipts): one label lookup per run.
  size_t i = 0;
  while (i < kinds.size()) {
    size_t end = i + 1;
    while (end < kinds.size() && kinds[end] == kinds[i]) ++end;
    notices_->Add({{"channel", channel_}, {"kind", std::string(kinds[i])}})
        .Increment(static_cast<double>(end - i));
    i = end;
  }
}

void IngressProbe::ChannelProbe::connectorBug(Duration elapsed) {
  requestRejected("connector_bug", elapsed);
}

void IngressProbe::ChannelProbe::deadLetterWritten(std::string_view reason) {
  dead_letters_->Add({{"source", source_}, {"reason", std::string(reason)}}).Increment();
}

void IngressProbe::ChannelProbe::deadLetterFailed() {
  dead_letter_failures_->Increment();
}

}  // namespace switchboard::connectors
