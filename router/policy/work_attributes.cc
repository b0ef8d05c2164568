#include "router/policy/work_attributes.h"

#include "router/policy/channel_names.h"

namespace switchboard::policy {
namespace {

std::optional<std::string_view> nonEmpty(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return std::string_view(value);
}

}  // namespace

std::optional<std::string_view> WorkItemAttributes::find(std::string_view name) const {
  if (name == "channel") {
    if (item_.channel() == v1::CHANNEL_UNSPECIFIED) return std::nullopt;
    const std::string_view channel = channelName(item_.channel());
    if (channel == "unspecified") return std::nullopt;
    return channel;
  }
  if (name == "tier") return nonEmpty(item_.tier());
  if (name == "language") {
    if (!item_.language().empty()) return std::string_view(item_.language());
    return nonEmpty(item_.message().language());
  }
  if (name == "customer_id") return nonEmpty(item_.customer_id());
  if (name == "conversation_id") return nonEmpty(item_.conversation_id());
  if (name == "provider") return nonEmpty(item_.message().provider());
  // A linear scan: the extras are few, and Map::find would need a std::string key (an
  // allocation per lookup).
  for (const auto& [key, value] : item_.message().attributes()) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace switchboard::policy
