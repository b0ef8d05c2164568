#include "router/policy/policy.h"

#include <utility>

namespace switchboard::policy {
namespace {

constexpr std::pair<std::string_view, Strategy> kStrategies[] = {
    {"longest-idle", Strategy::kLongestIdle},
    {"least-busy", Strategy::kLeastBusy},
    {"round-robin", Strategy::kRoundRobin}};

template <typename T>
const T* findByName(const std::vector<T>& items, std::string_view name) {
  for (const T& item : items) {
    if (item.name == name) return &item;
  }
  return nullptr;
}

}  // namespace

std::string_view strategyName(Strategy strategy) {
  for (const auto& [name, s] : kStrategies) {
    if (s == strategy) return name;
  }
  return "unknown";
}

std::optional<Strategy> strategyFromName(std::string_view name) {
  for (const auto& [strategy_name, strategy] : kStrategies) {
    if (strategy_name == name) return strategy;
  }
  return std::nullopt;
}

Seconds builtInSlaTarget(v1::Channel channel) {
  using std::chrono::hours;
  using std::chrono::minutes;
  switch (channel) {
    case v1::CHANNEL_CHAT: return minutes(2);
    case v1::CHANNEL_VOICE: return minutes(1);
    case v1::CHANNEL_SMS:
    case v1::CHANNEL_WHATSAPP:
    case v1::CHANNEL_TELEGRAM: return hours(1);
    default: return hours(24);
  }
}

Seconds builtInConversationWindow(v1::Channel channel) {
  using std::chrono::hours;
  using std::chrono::minutes;
  switch (channel) {
    case v1::CHANNEL_CHAT: return minutes(30);
    case v1::CHANNEL_VOICE: return minutes(10);
    case v1::CHANNEL_EMAIL: return hours(24 * 7);
    default: return hours(24);
  }
}

const Pool* Policy::findPool(std::string_view name) const {
  return findByName(pools, name);
}
std::string_view Policy::domainOf(const Queue* queue) const {
  if (queue == nullptr) return "default";
  const Pool* pool = findPool(queue->pool);
  return pool ? std::string_view(pool->domain) : std::string_view("default");
}
const Queue* Policy::findQueue(std::string_view name) const {
  return findByName(queues, name);
}
const BusinessCalendar* Policy::findCalendar(std::string_view name) const {
  for (const BusinessCalendar& calendar : calendars) {
    if (calendar.name() == name) return &calendar;
  }
  return nullptr;
}

}  // namespace switchboard::policy
