// Default first-response targets per channel, what customers expect: chat within a couple of
// minutes, SMS and messaging within the hour, social within 24 h, email within a day. The
// routing policy (router issue) overrides them per queue.
#pragma once

#include <chrono>

#include "switchboard/v1/envelope.pb.h"

namespace switchboard::router {

inline std::chrono::seconds defaultSlaTarget(v1::Channel channel) {
  using std::chrono::hours;
  using std::chrono::minutes;
  switch (channel) {
    case v1::CHANNEL_CHAT: return minutes(2);
    case v1::CHANNEL_VOICE: return minutes(1);
    case v1::CHANNEL_SMS:
    case v1::CHANNEL_WHATSAPP:
    case v1::CHANNEL_TELEGRAM: return hours(1);
    case v1::CHANNEL_MESSENGER:
    case v1::CHANNEL_INSTAGRAM:
    case v1::CHANNEL_X: return hours(24);
    case v1::CHANNEL_EMAIL: return hours(24);
    default: return hours(24);
  }
}

}  // namespace switchboard::router
