#include "router/stages/context_probe.h"

#include "router/policy/channel_names.h"

namespace switchboard::router {

ContextProbe::ContextProbe(metrics::MetricsRegistry& registry)
    : messages_(prometheus::BuildCounter()
                    .Name("switchboard_router_context_messages_total")
                    .Help("Customer messages the context stage made work items of, by channel "
                          "and how they found their conversation")
                    .Register(registry.registry())),
      unrouted_(prometheus::BuildCounter()
                    .Name("switchboard_router_unrouted_total")
                    .Help("Work items no policy queue matched (queue \"\", domain \"default\")")
                    .Register(registry.registry())
                    .Add({})),
      events_(prometheus::BuildCounter()
                  .Name("switchboard_router_context_events_total")
                  .Help("Profiles and customer events applied by the context stage, by kind")
                  .Register(registry.registry())),
      forwarded_(prometheus::BuildCounter()
                     .Name("switchboard_router_context_forwarded_total")
                     .Help("Inputs for a merged customer id sent on to the surviving id")
                     .Register(registry.registry())),
      dropped_(prometheus::BuildCounter()
                   .Name("switchboard_router_context_dropped_total")
                   .Help("Context stage inputs dropped, by reason")
                   .Register(registry.registry())),
      state_bytes_(prometheus::BuildHistogram()
                       .Name("switchboard_router_context_state_bytes")
                       .Help("Serialized size of a customer's context record after an update")
                       .Register(registry.registry())
                       .Add({}, prometheus::Histogram::BucketBoundaries{128, 256, 512, 768, 1024,
                                                                        1536, 2048, 3072, 4096})) {}

void ContextProbe::messageThreaded(v1::Channel channel, context::JoinedBy joined_by) {
  const size_t c = v1::Channel_IsValid(channel) ? static_cast<size_t>(channel) : kChannelLabels - 1;
  const auto j = static_cast<size_t>(joined_by);
  prometheus::Counter*& slot = messages_by_[c][j];
  if (slot == nullptr) {
    slot = &messages_.Add({{"channel", std::string(policy::channelName(channel))},
                           {"joined_by", std::string(context::joinedByName(joined_by))}});
  }
  slot->Increment();
}

prometheus::Counter& ContextProbe::counter(prometheus::Family<prometheus::Counter>& family,
                                           Cache& cache, const char* label,
                                           std::string_view value) {
  auto it = cache.find(value);
  if (it == cache.end()) {
    it = cache.emplace(std::string(value), &family.Add({{label, std::string(value)}})).first;
  }
  return *it->second;
}

}  // namespace switchboard::router
