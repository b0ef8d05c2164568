// Routing decisions per second of the dispatch engine (router/dispatch) on one dispatch domain
// of 2,000 agents under a realistic routing policy (kPolicyYaml below: nine pools with the
// three strategies, language and topic queues, overflow chains into tier 1 and an outsourced
// partner, SLA-risk boosts, a VIP queue with a sticky grace):
//   BM_SteadyState    10,000 queued items; each iteration an agent completes the oldest item in
//                     hand (and takes the next one it can serve) and a new item of the same
//                     channel arrives (queued, or taken by an agent left free). Overflow and
//                     SLA-risk timers fire as simulated time passes (50 ms per input).
//   BM_SteadyStateOffers   the same with reservations (30 s): each iteration also accepts the
//                     offer made, so a decision is OFFERED then ASSIGNED.
//   BM_ArrivalWithFreeAgents   a new item arrives while most agents are free.
//   BM_AgentFreedDeepQueue     an agent finishes an item with 10,000 items waiting.
//   BM_PublishDecision         what the dispatch stage adds per decision: build the
//                     Assignment, serialize it with the WorkItem appended (no copy), and the
//                     customer event.
//   BM_Memory         heap bytes per queued item, per agent and per item in hand (an estimate
//                     from glibc's allocator statistics, not a count of our own structures).
// items_per_second is routing decisions (OFFERED or directly ASSIGNED) per second of timed
// work. Inputs (WorkItems, agents) are built outside the timed region; the only input work
// inside it is copying two ids into a reused event, as the dispatch stage would after decoding
// one. The argument picks the skills: 0 = nobody has or needs skills, 1 = a realistic mix.
#include <malloc.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "benchmarks/alloc_counter.h"
#include "core/malloc_huge_pages.h"
#include "router/dispatch/dispatch_engine.h"
#include "router/dispatch/huge_pages.h"
#include "router/policy/policy_loader.h"

namespace switchboard::dispatch {
namespace {

constexpr std::string_view kDomain = "default";

// A European contact centre: tier 1 (everyone speaks English), language desks, topic desks, a
// VIP desk, and an outsourced partner named agent by agent (the first 100 agents' ids).
constexpr std::string_view kPolicyYaml = R"(
defaults:
  reservation_timeout: 30s
  sticky_grace: 10m
pools:
  - name: vip
    members: {skills: [topic.vip]}
    strategy: longest-idle
    sticky_grace: 30m
  - name: spanish
    members: {skills: [lang.es]}
    strategy: longest-idle
  - name: portuguese
    members: {skills: [lang.pt]}
    strategy: round-robin
  - name: french
    members: {skills: [lang.fr]}
    strategy: least-busy
  - name: german
    members: {skills: [lang.de]}
    strategy: least-busy
  - name: billing
    members: {skills: [topic.billing]}
    strategy: longest-idle
  - name: tech
    members: {skills: [topic.tech]}
    strategy: least-busy
  - name: tier1
    members: {skills: [lang.en]}
    strategy: least-busy
  - name: outsourced
    members: {agents: [OUTSOURCED]}
    capacity: {chat: 4, email: 8}
    strategy: round-robin
queues:
  - name: vip
    filter: 'tier == "vip"'
    priority: 100
    sla_risk: {within: 30s, add: 50}
    pool: vip
    overflow:
      - {after: 60s, widen_to: tier1}
  - name: spanish
    filter: 'language == "es"'
    priority: 40
    pool: spanish
    overflow:
      - {after: 2m, widen_to: outsourced}
  - name: portuguese
    filter: 'language == "pt"'
    priority: 40
    pool: portuguese
    overflow:
      - {after: 2m, widen_to: outsourced}
  - name: french
    filter: 'language == "fr"'
    priority: 40
    pool: french
  - name: german
    filter: 'language == "de"'
    priority: 40
    pool: german
  - name: billing
    filter: 'topic == "billing"'
    priority: 50
    sla_risk: {within: 30s, add: 20}
    pool: billing
    overflow:
      - {after: 90s, widen_to: tier1}
      - {after: 5m, widen_to: outsourced}
  - name: tech
    filter: 'topic == "tech"'
    priority: 50
    pool: tech
    overflow:
      - {after: 90s, widen_to: tier1}
  - name: chat
    filter: 'channel == "chat"'
    priority: 30
    sla_risk: {within: 30s, add: 20}
    pool: tier1
    overflow:
      - {after: 3m, widen_to: outsourced}
  - name: catch-all
    pool: tier1
    overflow:
      - {after: 4h, widen_to: outsourced}
)";
constexpr int kOutsourcedAgents = 100;
constexpr int kAgents = 2'000;
constexpr size_t kQueueDepth = 10'000;
// Work items are built in chunks of this size while the timer is paused.
constexpr size_t kSupplyChunk = 16'384;
// Small, so that an item is still in cache when it arrives, as one the stage just decoded is.
constexpr size_t kChannelChunk = 256;
constexpr auto kSlaTarget = std::chrono::minutes(5);
// Simulated time between two inputs.
constexpr auto kStep = std::chrono::milliseconds(50);
// 2024-05-01T12:00:00Z.
const TimePoint kStart = TimePoint(std::chrono::seconds(1714564800));

// Whether malloc is on huge pages changes the figures by ~10% (core/malloc_huge_pages.h): the
// run's context header says which (before main: Google Benchmark prints it at start).
[[maybe_unused]] const bool kMallocContext = [] {
  benchmark::AddCustomContext("malloc", probeMallocHugePages().describe());
  return true;
}();

enum class SkillMix { kNone = 0, kMixed = 1 };

// Skills as a contact centre would name them: languages and topics, weighted.
constexpr std::array<std::string_view, 5> kLanguages = {"lang.en", "lang.es", "lang.pt", "lang.fr",
                                                        "lang.de"};
constexpr std::array<int, 5> kLanguageWeights = {50, 20, 15, 10, 5};
constexpr std::array<std::string_view, 5> kTopics = {"topic.billing", "topic.tech", "topic.sales",
                                                     "topic.returns", "topic.vip"};
constexpr std::array<int, 5> kTopicWeights = {30, 30, 20, 15, 5};

// Item channels, weighted like the pool's slots (staffing follows demand; see makeAgent()).
constexpr std::array<v1::Channel, 5> kItemChannels = {v1::CHANNEL_CHAT, v1::CHANNEL_WHATSAPP,
                                                      v1::CHANNEL_MESSENGER, v1::CHANNEL_EMAIL,
                                                      v1::CHANNEL_VOICE};
constexpr std::array<int, 5> kItemChannelWeights = {33, 18, 18, 27, 4};

size_t channelIndex(v1::Channel channel) {
  auto it = std::find(kItemChannels.begin(), kItemChannels.end(), channel);
  return static_cast<size_t>(it - kItemChannels.begin());
}

// malloc's heap in use plus the engine's huge-page mappings (router/dispatch/huge_pages.h),
// which malloc's statistics do not see.
size_t heapInUse() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd + hugeBytesMapped();
}

// Ids shaped like the real ones (identity stage: "wi-" + 24 hex digits of a SHA-256), so that
// string copies allocate as they do in production (no small-string optimisation).
std::string hexId(std::string_view prefix, uint64_t n, size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(prefix);
  uint64_t x = n;
  for (size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) {  // splitmix64: distinct, well-mixed digits for each n
      x += 0x9e3779b97f4a7c15ull;
      uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      x = z ^ (z >> 31);
    }
    out.push_back(kHex[(x >> (4 * (i % 16))) & 0xf]);
  }
  return out;
}

// Work in hand, oldest first: what the simulated agents complete next. Fixed-size ring of
// reused strings, so that remembering an assignment allocates nothing once warmed up.
class InHand {
 public:
  // The ids are kept inline (a FIFO of fixed-size records), so that this bookkeeping of the
  // simulated helpdesk costs no cache misses of its own and its heap use never changes.
  InHand() : slots_(kCapacity) {}

  void add(const Decision& assignment) {
    if (size_ == kCapacity || assignment.agent_id.size() > kIdMax ||
        assignment.work_item_id.size() > kIdMax) {
      std::fprintf(stderr, "dispatch_engine_benchmark: in-hand ring full or id too long\n");
      std::abort();
    }
    Slot& slot = slots_[(head_ + size_) % kCapacity];
    slot.agent_len = static_cast<uint8_t>(assignment.agent_id.size());
    slot.work_len = static_cast<uint8_t>(assignment.work_item_id.size());
    std::copy(assignment.agent_id.begin(), assignment.agent_id.end(), slot.agent_id);
    std::copy(assignment.work_item_id.begin(), assignment.work_item_id.end(), slot.work_item_id);
    slot.channel = assignment.channel;
    ++size_;
  }

  // Fills `event` with the completion of the oldest item in hand and forgets that item.
  void completeOldest(v1::AgentEvent& event) {
    const Slot& slot = slots_[head_];
    // assign(): reuses the event's strings (set_x(ptr, len) would build a new one).
    event.mutable_agent_id()->assign(slot.agent_id, slot.agent_len);
    event.mutable_completed()->mutable_work_item_id()->assign(slot.work_item_id, slot.work_len);
    head_ = (head_ + 1) % kCapacity;
    --size_;
  }

  v1::Channel oldestChannel() const { return slots_[head_].channel; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  static constexpr size_t kCapacity = 1 << 15;  // > every agent slot of the pool (~11,000)
  static constexpr size_t kIdMax = 40;
  struct Slot {
    char agent_id[kIdMax];
    char work_item_id[kIdMax];
    uint8_t agent_len = 0;
    uint8_t work_len = 0;
    v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  };
  std::vector<Slot> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

std::string agentId(int i) {
  return hexId("agt-", static_cast<uint64_t>(i), 16);
}

// The benchmark policy; `offers`: with 30 s reservations, else direct assignment.
DispatchEngine::PolicyPtr benchmarkPolicy(bool offers) {
  std::string yaml(kPolicyYaml);
  std::string outsourced;
  for (int i = 0; i < kOutsourcedAgents; ++i) outsourced += (i ? ", " : "") + agentId(i);
  yaml.replace(yaml.find("OUTSOURCED"), 10, outsourced);
  auto parsed = policy::parsePolicy(yaml, "benchmark.yaml");
  if (!parsed) {
    std::fprintf(stderr, "%s\n", parsed.error().message().c_str());
    std::abort();
  }
  if (!offers) parsed->defaults.reservation_timeout = std::chrono::seconds(0);
  return std::make_shared<const policy::Policy>(std::move(*parsed));
}

// One domain, its engine, a supply of pre-built work items and the simulated clock.
class Scenario {
 public:
  explicit Scenario(SkillMix mix, bool offers = false)
      : mix_(mix),
        rng_(20240501),
        engine_(std::make_unique<DispatchEngine>(std::string(kDomain), benchmarkPolicy(offers))) {
    completion_.mutable_envelope()->set_event_id("ev-completion");
    completion_.mutable_envelope()->set_producer("router/api");
    completion_.mutable_completed();
    accept_.mutable_envelope()->set_event_id("ev-accept");
    accept_.mutable_envelope()->set_producer("router/api");
    accept_.mutable_accepted();
    offered_.reserve(64);
    pending_.reserve(64);
  }

  DispatchEngine& engine() { return *engine_; }
  const Outcome& lastOutcome() const { return out_; }
  const InHand& inHand() const { return in_hand_; }
  size_t agentGroups() const { return agent_groups_.count(); }
  size_t itemGroups() const { return item_groups_.count(); }
  size_t agentSlots() const { return agent_slots_; }

  // Every agent signs in, AVAILABLE, with its channels and skills.
  void addAgents(int count) {
    std::vector<v1::AgentEvent> events;
    events.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) events.push_back(makeAgent(i));
    for (const v1::AgentEvent& event : events) {
      tick();
      engine_->onAgentEvent(event, now_, out_);
      record();
    }
    out_.clear();
  }

  // Pre-builds the next `count` work items of the channel mix, or of one channel (call with
  // the timer paused). arrive() stamps enqueued_at and the deadline.
  void buildSupply(size_t count) {
    supply_.build(
        count, [&] { return randomChannel(); }, *this);
  }
  void buildSupply(v1::Channel channel, size_t count) {
    by_channel_[channelIndex(channel)].build(
        count, [&] { return channel; }, *this);
  }
  bool supplyEmpty() const { return supply_.empty(); }
  bool supplyEmpty(v1::Channel channel) const { return by_channel_[channelIndex(channel)].empty(); }

  // A new work item arrives (of the mix, or of one channel). Returns the assignments made.
  size_t arrive() { return arrive(supply_.take()); }
  size_t arrive(v1::Channel channel) { return arrive(by_channel_[channelIndex(channel)].take()); }

  // The agent holding the oldest item in hand completes it. Returns the assignments made.
  size_t completeOldest() {
    tick();
    in_hand_.completeOldest(completion_);
    engine_->onAgentEvent(completion_, now_, out_);
    return record();
  }

  // Adds work items (building them as needed) until `depth` items wait. Untimed set-up.
  void fillQueue(size_t depth) {
    while (engine_->queueDepth() < depth) {
      if (supplyEmpty()) buildSupply(kSupplyChunk);
      arrive();
    }
    out_.clear();
  }

  // Frees the pre-built items and the last outcome, for memory measurements.
  void dropInputs() {
    supply_.clear();
    for (Supply& supply : by_channel_) supply.clear();
    out_.clear();
  }

  v1::WorkItem sampleItem() { return makeItem(~0ull, now_, v1::CHANNEL_CHAT); }

 private:
  // Pre-built work items, consumed in order.
  class Supply {
   public:
    template <typename ChannelFn>
    void build(size_t count, ChannelFn channel, Scenario& scenario) {
      clear();
      items_.reserve(count);
      TimePoint at = scenario.now_;
      for (size_t i = 0; i < count; ++i) {
        at += kStep;
        items_.push_back(scenario.makeItem(scenario.next_item_id_++, at, channel()));
      }
    }
    bool empty() const { return next_ == items_.size(); }
    v1::WorkItem&& take() { return std::move(items_[next_++]); }
    void clear() {
      items_.clear();
      items_.shrink_to_fit();
      next_ = 0;
    }

   private:
    std::vector<v1::WorkItem> items_;
    size_t next_ = 0;
  };

  void tick() { now_ += kStep; }

  size_t arrive(v1::WorkItem&& item) {
    tick();
    // The context stage stamps enqueued_at (and the deadline from it) moments before the
    // dispatch stage sees the item: the item starts waiting now, so its overflow steps and
    // SLA-risk window lie ahead and their timers fire while it waits.
    setTimestamp(item.mutable_enqueued_at(), now_);
    setTimestamp(item.mutable_sla_deadline(), now_ + kSlaTarget);
    engine_->onWorkItem(std::move(item), now_, out_);
    return record();
  }

  v1::Channel randomChannel() { return kItemChannels[pick(kItemChannelWeights)]; }

  // One bit per (channel, set of the 10 skills).
  static constexpr size_t kGroupBits = v1::Channel_ARRAYSIZE << 10;
  static size_t groupBit(v1::Channel channel,
                         const google::protobuf::RepeatedPtrField<std::string>& skills) {
    size_t mask = 0;
    for (const std::string& skill : skills) {
      for (size_t i = 0; i < kLanguages.size(); ++i) mask |= skill == kLanguages[i] ? 1u << i : 0;
      for (size_t i = 0; i < kTopics.size(); ++i) mask |= skill == kTopics[i] ? 32u << i : 0;
    }
    return (static_cast<size_t>(channel) << 10) | mask;
  }

  // Counts the decisions (OFFERED, or ASSIGNED directly) and remembers the items in hand. With
  // offers, the agent accepts each offer at once (timed: part of the decision's cost).
  size_t record() {
    size_t decisions = 0;
    while (true) {
      for (const Decision& d : out_.decisions) {
        if (d.status == v1::ASSIGNMENT_STATUS_OFFERED) {
          ++decisions;
          if (pending_.size() == offered_.size()) offered_.emplace_back();
          offered_[pending_.size()].first.assign(d.agent_id);
          offered_[pending_.size()].second.assign(d.work_item_id);
          pending_.push_back(pending_.size());
        } else if (d.status == v1::ASSIGNMENT_STATUS_ASSIGNED) {
          if (!d.accepted) ++decisions;
          in_hand_.add(d);
        }
      }
      if (pending_.empty()) return decisions;
      const auto& [agent, work] = offered_[pending_.back()];
      pending_.pop_back();
      accept_.set_agent_id(agent);
      accept_.mutable_accepted()->set_work_item_id(work);
      engine_->onAgentEvent(accept_, now_, out_);
    }
  }

  template <size_t N>
  size_t pick(const std::array<int, N>& weights) {
    std::discrete_distribution<size_t> d(weights.begin(), weights.end());
    return d(rng_);
  }

  // 50% messaging agents (chat 3, WhatsApp 2, Messenger 2), 30% email agents (email 5,
  // chat 1), 20% voice agents (voice 1).
  v1::AgentEvent makeAgent(int i) {
    v1::AgentEvent event;
    event.mutable_envelope()->set_event_id(hexId("ev-", 1'000'000 + static_cast<uint64_t>(i), 32));
    event.mutable_envelope()->set_producer("router/api");
    event.set_agent_id(agentId(i));
    v1::PresenceChanged* presence = event.mutable_presence();
    presence->set_presence(v1::PRESENCE_AVAILABLE);
    presence->set_display_name("Agent " + std::to_string(i));
    auto capacity = [&](v1::Channel channel, uint32_t max) {
      v1::ChannelCapacity* c = presence->add_capacities();
      c->set_channel(channel);
      c->set_max_concurrent(max);
      agent_slots_ += max;
    };
    const int profile = static_cast<int>(rng_() % 10);
    if (profile < 5) {
      capacity(v1::CHANNEL_CHAT, 3);
      capacity(v1::CHANNEL_WHATSAPP, 2);
      capacity(v1::CHANNEL_MESSENGER, 2);
    } else if (profile < 8) {
      capacity(v1::CHANNEL_EMAIL, 5);
      capacity(v1::CHANNEL_CHAT, 1);
    } else {
      capacity(v1::CHANNEL_VOICE, 1);
    }
    std::set<std::string_view> skills;
    skills.insert(kLanguages[0]);  // every agent speaks English: tier 1
    if (mix_ == SkillMix::kMixed) {
      skills.insert(kLanguages[pick(kLanguageWeights)]);
      if (rng_() % 10 < 3) skills.insert(kLanguages[pick(kLanguageWeights)]);
      const size_t topics = 1 + rng_() % 3;
      for (size_t t = 0; t < topics; ++t) skills.insert(kTopics[pick(kTopicWeights)]);
      // Every agent speaks English as well: items in English are the bulk of the traffic.
      skills.insert(kLanguages[0]);
    }
    for (std::string_view skill : skills) presence->add_skills(std::string(skill));
    for (const v1::ChannelCapacity& c : presence->capacities()) {
      agent_groups_.set(groupBit(c.channel(), presence->skills()));
    }
    return event;
  }

  // What the identity stage emits for a chat-like message, with skills and priority set as a
  // routing policy would.
  v1::WorkItem makeItem(uint64_t n, TimePoint at, v1::Channel channel) {
    v1::WorkItem item;
    const std::string id = hexId("wi-", n, 24);
    v1::Envelope* envelope = item.mutable_envelope();
    envelope->set_event_id(id);
    envelope->set_idempotency_key(hexId("chat:v-", n % 50'000, 12) + ":" + hexId("c-", n, 12));
    envelope->set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
    setTimestamp(envelope->mutable_created_at(), at);
    setTimestamp(envelope->mutable_received_at(), at);
    envelope->set_producer("router/identity");
    envelope->set_causation_id(hexId("in-", n, 32));
    item.set_work_item_id(id);
    item.set_customer_id(hexId("cus-", n % 50'000, 20));
    item.set_conversation_id(hexId("cnv-", n, 20));
    item.set_channel(channel);
    item.set_domain(std::string(kDomain));
    // The queue, priority and skills the context stage would set from the policy.
    std::string_view queue = channel == v1::CHANNEL_CHAT ? "chat" : "catch-all";
    int32_t priority = channel == v1::CHANNEL_CHAT ? 30 : 0;
    std::string_view language = kLanguages[0];
    if (mix_ == SkillMix::kMixed) {
      language = kLanguages[pick(kLanguageWeights)];
      const std::string_view topic = rng_() % 10 < 6 ? kTopics[pick(kTopicWeights)] : "";
      if (topic == "topic.vip") {
        queue = "vip";
        priority = 100;
        item.set_tier("vip");
        item.add_required_skills(std::string(topic));
      } else if (language != kLanguages[0]) {
        const std::string_view code = language.substr(5);
        queue = code == "es"   ? "spanish"
                : code == "pt" ? "portuguese"
                : code == "fr" ? "french"
                               : "german";
        priority = 40;
        item.add_required_skills(std::string(language));
      } else if (topic == "topic.billing" || topic == "topic.tech") {
        queue = topic.substr(6);
        priority = 50;
        item.add_required_skills(std::string(topic));
      }
    }
    item.set_queue_id(std::string(queue));
    item.set_priority(priority);
    item_groups_.set(groupBit(channel, item.required_skills()));
    setTimestamp(item.mutable_enqueued_at(), at);
    setTimestamp(item.mutable_sla_deadline(), at + kSlaTarget);
    if (item.tier().empty()) item.set_tier(n % 7 == 0 ? "gold" : "standard");
    item.set_language(std::string(language.substr(5)));
    if (n % 10 == 0) {  // a returning customer: sticky routing applies within the grace
      item.mutable_context()->set_last_agent_id(agentId(static_cast<int>(n % kAgents)));
      setTimestamp(item.mutable_context()->mutable_last_served_at(), at - std::chrono::minutes(5));
    }
    v1::InboundMessage* message = item.mutable_message();
    message->mutable_envelope()->set_event_id(hexId("in-", n, 32));
    message->set_channel(channel);
    message->set_provider("webchat");
    message->mutable_sender()->set_channel(channel);
    message->mutable_sender()->set_value(hexId("chat:v-", n % 50'000, 12));
    message->mutable_sender()->set_display_name("Ana Souza");
    message->set_text(
        "Hi, I was charged twice for my subscription this month and I would like a refund for "
        "the second payment, please.");
    message->set_provider_message_id(hexId("c-", n, 12));
    message->set_language("en");
    (*message->mutable_attributes())["page"] = "/account/billing";
    (*message->mutable_attributes())["plan"] = "pro";
    return item;
  }

  SkillMix mix_;
  std::mt19937_64 rng_;
  std::unique_ptr<DispatchEngine> engine_;
  Outcome out_;
  v1::AgentEvent accept_;
  // Offers made and not yet accepted: (agent, work item) strings reused across calls.
  std::vector<std::pair<std::string, std::string>> offered_;
  std::vector<size_t> pending_;
  InHand in_hand_;
  v1::AgentEvent completion_;
  TimePoint now_ = kStart;
  Supply supply_;
  std::array<Supply, kItemChannels.size()> by_channel_;
  uint64_t next_item_id_ = 0;
  size_t agent_slots_ = 0;
  // Distinct (channel, skill set) pairs seen, i.e. the index groups the engine scans. Fixed
  // size, so that this bookkeeping allocates nothing (BM_Memory).
  std::bitset<kGroupBits> agent_groups_;
  std::bitset<kGroupBits> item_groups_;
};

// The timed loop's bookkeeping: set-up work done with the timer paused is left out of both
// the time and the allocation count.
class Timing {
 public:
  explicit Timing(benchmark::State& state) : state_(state), start_(bench::allocationCount()) {}

  template <typename Fn>
  void untimed(Fn fn) {
    state_.PauseTiming();
    const uint64_t before = bench::allocationCount();
    fn();
    excluded_ += bench::allocationCount() - before;
    state_.ResumeTiming();
  }

  void report(int64_t assignments) {
    const auto allocations = static_cast<double>(bench::allocationCount() - start_ - excluded_);
    state_.SetItemsProcessed(assignments);
    state_.counters["assignments_per_iter"] =
        benchmark::Counter(static_cast<double>(assignments), benchmark::Counter::kAvgIterations);
    state_.counters["allocs_per_iter"] =
        benchmark::Counter(allocations, benchmark::Counter::kAvgIterations);
  }

 private:
  benchmark::State& state_;
  uint64_t start_;
  uint64_t excluded_ = 0;
};

void reportShape(benchmark::State& state, Scenario& scenario) {
  state.counters["queue_depth"] = static_cast<double>(scenario.engine().queueDepth());
  state.counters["in_hand"] = static_cast<double>(scenario.inHand().size());
  state.counters["agent_groups"] = static_cast<double>(scenario.agentGroups());
  state.counters["item_groups"] = static_cast<double>(scenario.itemGroups());
}

// (a) Deep queue, agents working: every iteration one completion (the agent takes the next
// item it can serve) and one arrival (queued, or taken by an agent left free).
void BM_SteadyState(benchmark::State& state) {
  Scenario scenario(static_cast<SkillMix>(state.range(0)));
  scenario.addAgents(kAgents);
  scenario.fillQueue(kQueueDepth);
  Timing timing(state);
  int64_t assignments = 0;
  for (auto _ : state) {
    // The new item has the channel of the completed one, so that demand per channel stays
    // what the agents can absorb and the queue stays at its depth instead of drifting.
    const v1::Channel channel = scenario.inHand().oldestChannel();
    if (scenario.supplyEmpty(channel)) {
      timing.untimed([&] { scenario.buildSupply(channel, kChannelChunk); });
    }
    assignments += static_cast<int64_t>(scenario.completeOldest());
    assignments += static_cast<int64_t>(scenario.arrive(channel));
  }
  timing.report(assignments);
  reportShape(state, scenario);
}
BENCHMARK(BM_SteadyState)->Arg(0)->Arg(1)->ArgName("skills");

// (a') The same with 30 s reservations: every decision is an offer the agent accepts at once.
void BM_SteadyStateOffers(benchmark::State& state) {
  Scenario scenario(static_cast<SkillMix>(state.range(0)), /*offers=*/true);
  scenario.addAgents(kAgents);
  scenario.fillQueue(kQueueDepth);
  Timing timing(state);
  int64_t decisions = 0;
  for (auto _ : state) {
    const v1::Channel channel = scenario.inHand().oldestChannel();
    if (scenario.supplyEmpty(channel)) {
      timing.untimed([&] { scenario.buildSupply(channel, kChannelChunk); });
    }
    decisions += static_cast<int64_t>(scenario.completeOldest());
    decisions += static_cast<int64_t>(scenario.arrive(channel));
  }
  timing.report(decisions);
  reportShape(state, scenario);
}
BENCHMARK(BM_SteadyStateOffers)->Arg(0)->Arg(1)->ArgName("skills");

// What the dispatch stage adds per decision on top of the engine: the Assignment built into a
// reused message, serialized, the WorkItem's bytes appended as field 13, and the CustomerEvent.
void BM_PublishDecision(benchmark::State& state) {
  Scenario scenario(SkillMix::kMixed);
  scenario.addAgents(kAgents);
  scenario.fillQueue(1);
  scenario.completeOldest();  // a COMPLETED and an ASSIGNED decision
  const Outcome& out = scenario.lastOutcome();
  v1::Assignment assignment;
  v1::CustomerEvent event;
  std::string value, item_bytes, event_value;
  Timing timing(state);
  int64_t decisions = 0;
  for (auto _ : state) {
    for (const Decision& d : out.decisions) {
      scenario.engine().buildAssignment(d, assignment);
      assignment.SerializeToString(&value);
      scenario.engine().decisionItem(d).SerializeToString(&item_bytes);
      value.push_back(static_cast<char>((13 << 3) | 2));
      for (uint64_t n = item_bytes.size();; n >>= 7) {
        value.push_back(static_cast<char>(n < 0x80 ? n : ((n & 0x7f) | 0x80)));
        if (n < 0x80) break;
      }
      value.append(item_bytes);
      if (scenario.engine().buildCustomerEvent(d, event)) event.SerializeToString(&event_value);
      benchmark::DoNotOptimize(value.data());
      ++decisions;
    }
  }
  timing.report(decisions);
}
BENCHMARK(BM_PublishDecision);

// (b) Empty queue, most agents free: each arrival is assigned at once. Every 500 arrivals the
// items in hand are completed with the timer paused, so that most agents stay free.
void BM_ArrivalWithFreeAgents(benchmark::State& state) {
  constexpr size_t kMaxInHand = 500;
  Scenario scenario(static_cast<SkillMix>(state.range(0)));
  scenario.addAgents(kAgents);
  Timing timing(state);
  int64_t assignments = 0;
  for (auto _ : state) {
    if (scenario.supplyEmpty() || scenario.inHand().size() >= kMaxInHand) {
      timing.untimed([&] {
        if (scenario.supplyEmpty()) scenario.buildSupply(kSupplyChunk);
        while (!scenario.inHand().empty()) scenario.completeOldest();
      });
    }
    assignments += static_cast<int64_t>(scenario.arrive());
  }
  timing.report(assignments);
  reportShape(state, scenario);
}
BENCHMARK(BM_ArrivalWithFreeAgents)->Arg(0)->Arg(1)->ArgName("skills");

// (c) Deep queue: an agent completes its oldest item and takes the first item it can serve.
// The queue is topped up to 10,000 with the timer paused whenever 1,000 items were taken.
void BM_AgentFreedDeepQueue(benchmark::State& state) {
  constexpr size_t kRefillBelow = kQueueDepth - 1'000;
  Scenario scenario(static_cast<SkillMix>(state.range(0)));
  scenario.addAgents(kAgents);
  scenario.fillQueue(kQueueDepth);
  Timing timing(state);
  int64_t assignments = 0;
  for (auto _ : state) {
    if (scenario.engine().queueDepth() < kRefillBelow) {
      timing.untimed([&] { scenario.fillQueue(kQueueDepth); });
    }
    assignments += static_cast<int64_t>(scenario.completeOldest());
  }
  timing.report(assignments);
  reportShape(state, scenario);
}
BENCHMARK(BM_AgentFreedDeepQueue)->Arg(0)->Arg(1)->ArgName("skills");

// Heap held by the engine, from glibc's allocator statistics (mallinfo2) and the engine's
// huge-page mappings (whole 2 MiB regions) before and after each step, with the inputs freed. An
// estimate: it includes allocator overhead and the protobuf messages the engine keeps (each queued
// WorkItem whole, with its InboundMessage).
void BM_Memory(benchmark::State& state) {
  for (auto _ : state) {
    auto scenario = std::make_unique<Scenario>(static_cast<SkillMix>(state.range(0)));
    const size_t before_agents = heapInUse();
    scenario->addAgents(kAgents);
    const size_t after_agents = heapInUse();

    // Fill every slot: stop at the first item that has to wait.
    scenario->fillQueue(1);
    scenario->dropInputs();
    const size_t in_hand = scenario->inHand().size();
    const size_t after_fill = heapInUse();

    const size_t depth_before = scenario->engine().queueDepth();
    scenario->fillQueue(kQueueDepth);
    scenario->dropInputs();
    const size_t after_queue = heapInUse();
    const size_t queued = scenario->engine().queueDepth() - depth_before;
    // A few arrivals went to agents left free by the first fill: not queue memory.
    const size_t taken_later = scenario->inHand().size() - in_hand;

    const double per_agent = static_cast<double>(after_agents - before_agents) / kAgents;
    const double per_in_hand =
        static_cast<double>(after_fill - after_agents) / static_cast<double>(in_hand);
    const double per_queued =
        (static_cast<double>(after_queue - after_fill) - per_in_hand * taken_later) /
        static_cast<double>(queued);
    state.counters["est_bytes_per_agent"] = per_agent;
    state.counters["est_bytes_per_item_in_hand"] = per_in_hand;
    state.counters["est_bytes_per_queued_item"] = per_queued;
    state.counters["work_item_proto_bytes"] =
        static_cast<double>(scenario->sampleItem().SpaceUsedLong());
    state.counters["agent_slots"] = static_cast<double>(scenario->agentSlots());
    state.counters["in_hand"] = static_cast<double>(in_hand);
  }
}
BENCHMARK(BM_Memory)->Arg(0)->Arg(1)->ArgName("skills")->Iterations(1);

}  // namespace
}  // namespace switchboard::dispatch
