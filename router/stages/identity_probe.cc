#include "router/stages/identity_probe.h"

#include <string>

#include "router/policy/channel_names.h"

namespace switchboard::router {

IdentityProbe::IdentityProbe(metrics::MetricsRegistry& registry)
    : messages_(prometheus::BuildCounter()
                    .Name("switchboard_router_inbound_messages_total")
                    .Help("Inbound messages the identity stage passed on to the context stage")
                    .Register(registry.registry())),
      duplicates_(prometheus::BuildCounter()
                      .Name("switchboard_router_duplicates_total")
                      .Help("Provider retries recognised by idempotency key and dropped")
                      .Register(registry.registry())
                      .Add({{"stage", "identity"}})),
      new_customers_(prometheus::BuildCounter()
                         .Name("switchboard_router_new_customers_total")
                         .Help("Senders seen for the first time")
                         .Register(registry.registry())
                         .Add({})),
      links_(prometheus::BuildCounter()
                 .Name("switchboard_router_address_links_total")
                 .Help("Address links from CRM profiles: new, changed (histories merge) or "
                       "unchanged")
                 .Register(registry.registry())),
      links_new_(links_.Add({{"result", "new"}})),
      links_changed_(links_.Add({{"result", "changed"}})),
      links_unchanged_(links_.Add({{"result", "unchanged"}})) {}

void IdentityProbe::messagePassed(v1::Channel channel) {
  const size_t i = v1::Channel_IsValid(channel) ? static_cast<size_t>(channel) : kChannelLabels - 1;
  if (by_channel_[i] == nullptr) {
    by_channel_[i] = &messages_.Add({{"channel", std::string(policy::channelName(channel))}});
  }
  by_channel_[i]->Increment();
}

}  // namespace switchboard::router
