// Policy: the routing policy as loaded from its YAML file (see docs/routing-policy.md) — the
// agent pools, the queues that sort work into them, the business-hours calendars and the
// defaults. Plain data, validated by the loader (policy_loader.h): every name a queue refers
// to exists, overflow steps increase, filters compiled. The decisions made from it live in
// routing.h, the comparison of two versions in policy_diff.h.
//
// Lifecycle: built once per (re)load, then read-only; share it between threads freely (e.g.
// behind a shared_ptr<const Policy> swapped on reload).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "router/policy/calendar.h"
#include "router/policy/channel_names.h"
#include "router/policy/duration.h"
#include "router/policy/filter.h"

namespace switchboard::policy {

// How a pool picks among the agents that could take a work item.
enum class Strategy {
  kLongestIdle,  // the agent idle the longest (free agents first)
  kLeastBusy,    // the agent with the fewest items in hand
  kRoundRobin,   // the agent assigned least recently
};
std::string_view strategyName(Strategy strategy);  // "longest-idle", ...
std::optional<Strategy> strategyFromName(std::string_view name);

struct Pool {
  std::string name;
  // The dispatch domain: pools that share agents or overflow into each other must share one,
  // because one dispatch task matches a domain's work and agents (work items and agent events
  // are keyed by it). One domain ("default") suits most contact centers; separate domains
  // (e.g. per brand or tenant) scale dispatch out across partitions.
  std::string domain = "default";
  // An agent belongs to the pool when listed in `agents` or when it holds every skill of
  // `skills` (the selector; empty selects nobody by skill). The loader rejects a pool with
  // neither.
  std::vector<std::string> agents;
  std::vector<std::string> skills;
  // `members: {everyone: true}`: every agent of the domain belongs (the built-in policy).
  bool everyone = false;
  // Items per agent per channel; unset channels: the agent's own stated capacity.
  ChannelMap<uint32_t> capacity;
  Strategy strategy = Strategy::kLongestIdle;
  // How long after serving a customer an agent is preferred for them; unset: the default.
  std::optional<Seconds> sticky_grace;

  // `agent_skills`: any range of std::string (a vector, a protobuf RepeatedPtrField ...).
  template <typename SkillRange>
  bool admits(std::string_view agent_id, const SkillRange& agent_skills) const {
    if (everyone) return true;
    for (const std::string& agent : agents) {
      if (agent == agent_id) return true;
    }
    if (skills.empty()) return false;
    for (const std::string& needed : skills) {
      bool held = false;
      for (const auto& skill : agent_skills) {
        if (skill == needed) {
          held = true;
          break;
        }
      }
      if (!held) return false;
    }
    return true;
  }

  bool operator==(const Pool&) const = default;
};

// "After waiting `after`, agents of `widen_to` may serve the item too."
struct OverflowStep {
  Seconds after{0};
  std::string widen_to;
  bool operator==(const OverflowStep&) const = default;
};

// Priority added when the item matches `when` (e.g. tier == "vip").
struct PriorityBoost {
  Filter when;
  int32_t add = 0;
  bool operator==(const PriorityBoost&) const = default;
};

// Priority added once the SLA deadline is `within` away (or passed).
struct SlaRiskBoost {
  Seconds within{0};
  int32_t add = 0;
  bool operator==(const SlaRiskBoost&) const = default;
};

struct Queue {
  std::string name;
  Filter filter;  // default: matches everything
  int32_t priority = 0;
  std::vector<PriorityBoost> boosts;
  std::optional<SlaRiskBoost> sla_risk;
  // First-response targets per channel; unset channels: defaults.sla, then built-in.
  ChannelMap<Seconds> sla;
  std::string pool;
  // Skills the agent must hold, copied onto the work item's required_skills.
  std::vector<std::string> skills;
  std::vector<OverflowStep> overflow;  // `after` strictly increasing
  std::string calendar;                // empty: always open
  // Targets while the calendar is closed; unset channels: next opening + the in-hours target.
  ChannelMap<Seconds> after_hours_sla;

  // [pool, overflow[0].widen_to, overflow[1].widen_to, ...], filled by the loader.
  std::vector<std::string> reach;
  // Index into Policy::calendars, filled by the loader; nullopt when `calendar` is empty.
  std::optional<size_t> calendar_index;
};

struct Defaults {
  // How long after its last message a conversation stays open for the customer's next
  // message on that channel; unset channels: builtInConversationWindow().
  ChannelMap<Seconds> open_conversation_window;
  // First-response targets for queues that set none for a channel.
  ChannelMap<Seconds> sla;
  // How long an offered item waits for the agent's accept. 0s: no offer step, the item is
  // assigned outright (the built-in policy, and the behaviour before offers existed).
  Seconds reservation_timeout = std::chrono::seconds(30);
  Seconds sticky_grace = std::chrono::minutes(10);
  // How long an item remembers the agents who declined it (rejected or let the offer lapse).
  // Until then they are not offered it again; afterwards the list is forgotten and the item is
  // matched afresh, so an item every eligible agent declined once does not wait forever.
  // 0s: never forget (a declined item waits for an agent who has not declined it).
  Seconds decline_memory = std::chrono::minutes(1);
  bool operator==(const Defaults&) const = default;
};

// Built-in targets when neither the queue nor the defaults name the channel: chat 2m, voice
// 1m, SMS/WhatsApp/Telegram 1h, Messenger/Instagram/X 24h, email 24h (what customers expect).
Seconds builtInSlaTarget(v1::Channel channel);
// Built-in open-conversation windows: chat 30m, voice 10m, email 7d, other channels 24h.
Seconds builtInConversationWindow(v1::Channel channel);

struct Policy {
  std::string source;   // file name, for messages
  std::string version;  // 16 hex digits of the file's content hash (set by parsePolicy)
  // Every pool's domain, each once, in order of first appearance.
  std::vector<std::string> domains;
  Defaults defaults;
  std::vector<Pool> pools;
  std::vector<BusinessCalendar> calendars;
  std::vector<Queue> queues;  // in file order: the first matching queue wins

  const Pool* findPool(std::string_view name) const;
  // The dispatch domain of the queue's pool ("default" when the queue is null).
  std::string_view domainOf(const Queue* queue) const;
  const Queue* findQueue(std::string_view name) const;
  const BusinessCalendar* findCalendar(std::string_view name) const;
};

}  // namespace switchboard::policy
