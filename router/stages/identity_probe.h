// IdentityProbe: the identity stage's metrics. Labels carry channels and outcomes, never
// addresses or customer ids.
//   switchboard_router_inbound_messages_total{channel}         counter: messages passed on
//   switchboard_router_duplicates_total{stage="identity"}      counter: provider retries dropped
//   switchboard_router_new_customers_total                     counter: senders seen first
//   switchboard_router_address_links_total{result}             counter: new | changed | unchanged
// Created once per stage; used from the stage runner's thread only.
#pragma once

#include <array>

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "core/metrics/metrics_registry.h"
#include "switchboard/v1/envelope.pb.h"

namespace switchboard::router {

class IdentityProbe {
 public:
  explicit IdentityProbe(metrics::MetricsRegistry& registry);
  IdentityProbe(const IdentityProbe&) = delete;
  IdentityProbe& operator=(const IdentityProbe&) = delete;

  void messagePassed(v1::Channel channel);
  void duplicateDropped() { duplicates_.Increment(); }
  void newCustomer() { new_customers_.Increment(); }
  void linkNew() { links_new_.Increment(); }
  // The address had another customer id: the two histories merge.
  void linkChanged() { links_changed_.Increment(); }
  void linkUnchanged() { links_unchanged_.Increment(); }

 private:
  static constexpr size_t kChannelLabels = v1::Channel_ARRAYSIZE + 1;  // last: unknown

  prometheus::Family<prometheus::Counter>& messages_;
  std::array<prometheus::Counter*, kChannelLabels> by_channel_{};
  prometheus::Counter& duplicates_;
  prometheus::Counter& new_customers_;
  prometheus::Family<prometheus::Counter>& links_;
  prometheus::Counter& links_new_;
  prometheus::Counter& links_changed_;
  prometheus::Counter& links_unchanged_;
};

}  // namespace switchboard::router
