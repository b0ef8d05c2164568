// ContextProbe: the context stage's metrics. Labels carry channels, threading outcomes and
// event kinds, never customer or conversation ids.
//   switchboard_router_context_messages_total{channel,joined_by}  counter: work items made
//   switchboard_router_unrouted_total                             counter: no queue matched (or
//                                                                 no policy): queue "" in
//                                                                 domain "default"
//   switchboard_router_context_events_total{kind}                 counter: profile, served,
//                                                                 finished, merge, transfer
//   switchboard_router_context_forwarded_total{kind}              counter: message, event,
//                                                                 transfer sent on to the id
//                                                                 a merged customer became
//   switchboard_router_context_dropped_total{reason}              counter: forward_loop,
//                                                                 duplicate_message
//   switchboard_router_context_state_bytes                        histogram: serialized record
//                                                                 size after each update
// Created once per stage; used from the stage runner's thread only.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include "core/metrics/metrics_registry.h"
#include "router/context/context_record.h"

namespace switchboard::router {

class ContextProbe {
 public:
  explicit ContextProbe(metrics::MetricsRegistry& registry);
  ContextProbe(const ContextProbe&) = delete;
  ContextProbe& operator=(const ContextProbe&) = delete;

  void messageThreaded(v1::Channel channel, context::JoinedBy joined_by);
  void unrouted() { unrouted_.Increment(); }
  void event(std::string_view kind) { counter(events_, events_by_kind_, "kind", kind).Increment(); }
  void forwarded(std::string_view kind) {
    counter(forwarded_, forwarded_by_kind_, "kind", kind).Increment();
  }
  void dropped(std::string_view reason) {
    counter(dropped_, dropped_by_reason_, "reason", reason).Increment();
  }
  void stateSaved(size_t bytes) { state_bytes_.Observe(static_cast<double>(bytes)); }

 private:
  using Cache = std::map<std::string, prometheus::Counter*, std::less<>>;
  static prometheus::Counter& counter(prometheus::Family<prometheus::Counter>& family, Cache& cache,
                                      const char* label, std::string_view value);

  static constexpr size_t kChannelLabels = v1::Channel_ARRAYSIZE + 1;  // last: unknown
  static constexpr size_t kJoinedBy = 4;

  prometheus::Family<prometheus::Counter>& messages_;
  std::array<std::array<prometheus::Counter*, kJoinedBy>, kChannelLabels> messages_by_{};
  prometheus::Counter& unrouted_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& forwarded_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Histogram& state_bytes_;
  Cache events_by_kind_;
  Cache forwarded_by_kind_;
  Cache dropped_by_reason_;
};

}  // namespace switchboard::router
