#include "router/policy/channel_names.h"

#include <utility>

namespace switchboard::policy {
namespace {

constexpr std::pair<std::string_view, v1::Channel> kChannels[] = {
    {"email", v1::CHANNEL_EMAIL},
    {"sms", v1::CHANNEL_SMS},
    {"chat", v1::CHANNEL_CHAT},
    {"messenger", v1::CHANNEL_MESSENGER},
    {"instagram", v1::CHANNEL_INSTAGRAM},
    {"whatsapp", v1::CHANNEL_WHATSAPP},
    {"x", v1::CHANNEL_X},
    {"telegram", v1::CHANNEL_TELEGRAM},
    {"voice", v1::CHANNEL_VOICE}};

}  // namespace

std::string_view channelName(v1::Channel channel) {
  for (const auto& [name, c] : kChannels) {
    if (c == channel) return name;
  }
  return "unspecified";
}

std::optional<v1::Channel> channelFromName(std::string_view name) {
  for (const auto& [channel_name, channel] : kChannels) {
    if (channel_name == name) return channel;
  }
  return std::nullopt;
}

std::string_view channelNameList() {
  return "email, sms, chat, messenger, instagram, whatsapp, x, telegram, voice";
}

}  // namespace switchboard::policy
