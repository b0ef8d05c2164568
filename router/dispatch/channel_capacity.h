// The capacity rule, in one place for the engine and for anything that reports on it (the
// dispatch probe's per-pool slot gauges): per channel, the first member pool (policy order)
// that sets a capacity for it, else the agent's stated capacity (0 for channels it did not
// state). `known` is false when neither exists for any channel: the agent then takes one
// item of any channel. Pure; no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "router/policy/policy.h"

namespace switchboard::dispatch {

inline constexpr size_t kCapacityChannels = v1::Channel_ARRAYSIZE;

struct ChannelCapacity {
  std::array<uint32_t, kCapacityChannels> max{};
  bool known = false;
};

ChannelCapacity channelCapacity(
    const policy::Policy& policy, std::span<const uint32_t> member_pools, bool stated_any,
    const std::array<std::optional<uint32_t>, kCapacityChannels>& stated);

}  // namespace switchboard::dispatch
