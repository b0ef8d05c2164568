// The context stage's per-customer record (router/context) at scale:
//   BM_ContextMemory   builds 1,000,000 realistic customer records through the stage's own
//                      update functions (a CRM profile for 60% of them, 1–2 conversations: an
//                      email thread of 3–10 messages and/or a chat session, 5–12 messages in
//                      all, the last agent) and keeps each one serialized, as the state store
//                      holds it under "ctx/<customer_id>". Reports serialized bytes per customer
//                      (mean, p99, max), the heap those serialized strings take per customer
//                      (mallinfo2, std::string overhead included: what an in-memory store of
//                      them would cost) and, from a sample, the parsed record's heap size (what
//                      a cache of parsed records would cost; the stage keeps none).
//   BM_ContextUpdate   messages per second through what the stage does per customer message
//                      besides Kafka and RocksDB: parse the stored record, thread the message
//                      (applyMessage), build the public context and the WorkItem from the
//                      example policy (queue, priority, SLA deadline), serialize record and
//                      work item. 100,000 customers with built-up records, round robin.
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "router/context/context_record.h"
#include "router/context/customer_ids.h"
#include "router/context/work_item_builder.h"
#include "router/policy/policy_loader.h"
#include "switchboard/v1/work_item.pb.h"

namespace switchboard::context {
namespace {

// 2026-03-09T03:00:00Z, a Monday (noon in Seoul).
const TimePoint kStart = TimePoint(std::chrono::seconds(1773025200));

const char* const kSnippets[] = {
    "Hi, my order #A-204518 arrived damaged, the box was crushed and the blender jar is cracked. "
    "Can you send a replacement?",
    "Where is my refund? It has been 10 days since you confirmed the return.",
    "주문한 상품이 아직 도착하지 않았어요. 배송 조회가 안 됩니다.",
    "Olá, preciso alterar o endereço de entrega do meu pedido, ainda é possível?",
    "ok thanks",
    "Can I upgrade my plan to annual billing and keep the discount from last month?",
};
const char* const kSubjects[] = {
    "Re: Your order A-204518 has shipped",
    "Refund request for invoice 2026-0311",
    "Fwd: Problem with my account login after password reset",
};
const char* const kTiers[] = {"vip", "standard", "standard", "gold"};
const char* const kLanguages[] = {"en", "ko", "pt-BR", "en", "es"};

std::string customerId(int i) {
  // CRM ids for profiled customers, identity's derived ids for the others (same length).
  char buf[32];
  std::snprintf(buf, sizeof buf, i % 5 < 3 ? "crm-%012d" : "c-%020d", i);
  return buf;
}

v1::InboundMessage makeMessage(int customer, int n, v1::Channel channel, std::mt19937& rng,
                               const std::string& thread_parent) {
  v1::InboundMessage m;
  const std::string key = "p:" + std::to_string(customer) + ":" + std::to_string(n);
  m.mutable_envelope()->set_event_id("ev-" + key);
  m.mutable_envelope()->set_idempotency_key(key);
  m.set_channel(channel);
  m.set_text(kSnippets[rng() % std::size(kSnippets)]);
  m.set_language(kLanguages[customer % std::size(kLanguages)]);
  v1::ThreadHints* thread = m.mutable_thread();
  if (channel == v1::CHANNEL_EMAIL) {
    // Gmail-like Message-IDs (~50 bytes).
    thread->set_message_id("CAJ" + std::to_string(rng()) + "x7YqPz9LmN" + std::to_string(n) +
                           "Q@mail.gmail.com");
    thread->set_in_reply_to(thread_parent);
    thread->set_subject(kSubjects[customer % std::size(kSubjects)]);
  } else {
    thread->set_provider_conversation_id("webchat-" + std::to_string(customer) + "-5d8f2a9c");
  }
  return m;
}

// One customer's record as the stage would have built it.
v1::ContextState buildRecord(int customer, const policy::Policy& policy,
                             const ContextLimits& limits, std::mt19937& rng) {
  v1::ContextState state;
  const std::string id = customerId(customer);
  if (customer % 5 < 3) {
    v1::CustomerProfile profile;
    profile.set_customer_id(id);
    profile.set_tier(kTiers[customer % std::size(kTiers)]);
    profile.set_language(kLanguages[customer % std::size(kLanguages)]);
    profile.set_lifetime_value_minor(static_cast<int64_t>(rng() % 10'000'000));
    profile.set_display_name("Customer Name " + std::to_string(customer));
    applyProfile(state, profile, limits);
  }
  TimePoint t = kStart - std::chrono::hours(24 * 30);
  int n = 0;
  const bool email = customer % 3 != 2;
  const bool chat = customer % 3 != 0;
  if (email) {
    std::string parent;
    const int messages = 3 + static_cast<int>(rng() % 8);
    for (int i = 0; i < messages; ++i, ++n) {
      v1::InboundMessage m = makeMessage(customer, n, v1::CHANNEL_EMAIL, rng, parent);
      parent = m.thread().message_id();
      applyMessage(state, id, m, workItemIdFor(m), conversationWindow(&policy, v1::CHANNEL_EMAIL),
                   t, limits);
      t += std::chrono::hours(5);
    }
  }
  if (chat) {
    t += std::chrono::hours(24 * 4);  // beyond the email window: a second conversation
    const int messages = 2 + static_cast<int>(rng() % 3);
    for (int i = 0; i < messages; ++i, ++n) {
      v1::InboundMessage m = makeMessage(customer, n, v1::CHANNEL_CHAT, rng, "");
      applyMessage(state, id, m, workItemIdFor(m), conversationWindow(&policy, v1::CHANNEL_CHAT), t,
                   limits);
      t += std::chrono::minutes(2);
    }
  }
  applyServed(state, "agent-" + std::to_string(customer % 2000), state.recent(0).work_item_id(), t);
  return state;
}

policy::Policy examplePolicy() {
  auto policy =
      policy::loadPolicyFile(std::string(SB_SOURCE_DIR) + "/tests/testdata/policy/example.yaml");
  if (!policy) {
    std::fprintf(stderr, "%s\n", policy.error().message().c_str());
    std::abort();
  }
  return std::move(*policy);
}

size_t heapInUse() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

void BM_ContextMemory(benchmark::State& state) {
  const int customers = static_cast<int>(state.range(0));
  const policy::Policy policy = examplePolicy();
  const ContextLimits limits;
  std::mt19937 rng(42);
  for (auto _ : state) {
    std::vector<std::string> store;
    store.reserve(static_cast<size_t>(customers));
    std::vector<uint32_t> sizes;
    sizes.reserve(static_cast<size_t>(customers));
    size_t parsed_heap = 0;
    int parsed_samples = 0;
    malloc_trim(0);
    const size_t heap_before = heapInUse();
    for (int c = 0; c < customers; ++c) {
      const v1::ContextState record = buildRecord(c, policy, limits, rng);
      store.push_back(record.SerializeAsString());
      sizes.push_back(static_cast<uint32_t>(store.back().size()));
      if (c % 1000 == 0) {
        parsed_heap += record.SpaceUsedLong();
        ++parsed_samples;
      }
    }
    const size_t heap_after = heapInUse();
    benchmark::DoNotOptimize(store.data());
    uint64_t total = 0;
    for (uint32_t s : sizes) total += s;
    std::sort(sizes.begin(), sizes.end());
    state.counters["customers"] = customers;
    state.counters["serialized_bytes_per_customer"] =
        static_cast<double>(total) / static_cast<double>(customers);
    state.counters["serialized_bytes_p99"] = sizes[sizes.size() * 99 / 100];
    state.counters["serialized_bytes_max"] = sizes.back();
    state.counters["heap_bytes_per_customer"] =
        static_cast<double>(heap_after - heap_before) / static_cast<double>(customers);
    state.counters["parsed_heap_bytes_per_customer"] =
        static_cast<double>(parsed_heap) / static_cast<double>(parsed_samples);
  }
}
BENCHMARK(BM_ContextMemory)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kSecond);

void BM_ContextUpdate(benchmark::State& state) {
  constexpr int kCustomers = 100'000;
  const policy::Policy policy = examplePolicy();
  const ContextLimits limits;
  std::mt19937 rng(7);
  std::vector<std::string> store;
  std::vector<std::string> ids;
  store.reserve(kCustomers);
  for (int c = 0; c < kCustomers; ++c) {
    store.push_back(buildRecord(c, policy, limits, rng).SerializeAsString());
    ids.push_back(customerId(c));
  }
  // Pre-built inputs: a chat message per customer (decoding one is the stage's job too, but
  // the parse of the stored record below is of the same order).
  std::vector<v1::CustomerMessage> inputs(kCustomers);
  for (int c = 0; c < kCustomers; ++c) {
    inputs[c].set_customer_id(ids[c]);
    *inputs[c].mutable_message() = makeMessage(c, 100, v1::CHANNEL_CHAT, rng, "");
  }
  v1::ContextState record;
  v1::WorkItem item;
  std::string out;
  TimePoint now = kStart;
  int c = 0;
  uint64_t routed = 0;
  for (auto _ : state) {
    const v1::CustomerMessage& input = inputs[c];
    record.ParseFromString(store[c]);
    const std::string work_item_id = workItemIdFor(input.message());
    const MessageApplied applied =
        applyMessage(record, ids[c], input.message(), work_item_id,
                     conversationWindow(&policy, v1::CHANNEL_CHAT), now, limits);
    record.SerializeToString(&store[c]);
    routed += buildWorkItem(
        &policy,
        {.message = &input,
         .conversation_id = applied.conversation.conversation_id(),
         .context = toCustomerContext(record, ids[c], &applied.conversation, applied.joined_by),
         .arrival = now,
         .created_at = now},
        item);
    item.SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
    now += std::chrono::milliseconds(1);
    if (++c == kCustomers) c = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["work_item_bytes"] = static_cast<double>(out.size());
  state.counters["routed_share"] =
      static_cast<double>(routed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ContextUpdate)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace switchboard::context
