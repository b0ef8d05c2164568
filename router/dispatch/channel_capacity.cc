#include "router/dispatch/channel_capacity.h"

namespace switchboard::dispatch {

ChannelCapacity channelCapacity(
    const policy::Policy& policy, std::span<const uint32_t> member_pools, bool stated_any,
    const std::array<std::optional<uint32_t>, kCapacityChannels>& stated) {
  ChannelCapacity out;
  out.known = stated_any;
  for (size_t c = 0; c < kCapacityChannels; ++c) {
    std::optional<uint32_t> max;
    for (uint32_t pool : member_pools) {
      if (const auto& capacity = policy.pools[pool].capacity.get(static_cast<v1::Channel>(c))) {
        max = *capacity;
        break;
      }
    }
    if (max) {
      out.known = true;
    } else if (stated_any) {
      max = stated[c].value_or(0);
    }
    out.max[c] = max.value_or(0);
  }
  return out;
}

}  // namespace switchboard::dispatch
