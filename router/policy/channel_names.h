// Channel names as the policy file and filter expressions write them ("chat", "email", ...),
// and ChannelMap, a per-channel setting (capacity, SLA target, window) indexed by the wire
// enum so that lookups on the routing path are an array access. Stateless; any thread.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "switchboard/v1/envelope.pb.h"

namespace switchboard::policy {

// The name of a channel ("chat"), or "unspecified" for CHANNEL_UNSPECIFIED and unknown values.
std::string_view channelName(v1::Channel channel);
// The channel of a name; nullopt for unknown names (and for "unspecified").
std::optional<v1::Channel> channelFromName(std::string_view name);
// "email, sms, chat, ..." for error messages.
std::string_view channelNameList();

// One optional value per channel. Unset entries fall back to whatever the caller defines.
template <typename T>
class ChannelMap {
 public:
  const std::optional<T>& get(v1::Channel channel) const {
    static const std::optional<T> kUnset;
    const auto i = static_cast<size_t>(channel);
    return i < values_.size() ? values_[i] : kUnset;
  }
  void set(v1::Channel channel, T value) { values_[static_cast<size_t>(channel)] = value; }
  bool empty() const {
    for (const auto& v : values_) {
      if (v) return false;
    }
    return true;
  }
  bool operator==(const ChannelMap&) const = default;

 private:
  std::array<std::optional<T>, v1::Channel_ARRAYSIZE> values_{};
};

}  // namespace switchboard::policy
