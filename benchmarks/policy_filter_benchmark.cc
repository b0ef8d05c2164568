// Routing-policy hot paths: evaluating one compiled filter expression, selecting the queue of
// a work item in the worked example policy (tests/testdata/policy/example.yaml; five queues,
// first match wins), and asking a business-hours calendar whether it is open. Each prints
// allocs_per_iter, which must be 0: these run for every work item the dispatch stage sees.
#include <benchmark/benchmark.h>

#include <array>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "benchmarks/alloc_counter.h"
#include "router/policy/filter.h"
#include "router/policy/policy_loader.h"
#include "router/policy/routing.h"
#include "router/policy/work_attributes.h"

namespace {

namespace p = switchboard::policy;
namespace v1 = switchboard::v1;

p::Policy examplePolicy() {
  const std::filesystem::path path =
      std::filesystem::path(SB_SOURCE_DIR) / "tests/testdata/policy/example.yaml";
  auto policy = p::loadPolicyFile(path.string());
  if (!policy) throw std::runtime_error(policy.error().message());
  return std::move(*policy);
}

void reportAllocations(benchmark::State& state, uint64_t start) {
  state.counters["allocs_per_iter"] =
      benchmark::Counter(static_cast<double>(switchboard::bench::allocationCount() - start),
                         benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations());
}

// The issue's example filter against a work item with six attributes; arg 0: the item
// matches (every clause evaluated), 1: it fails on the first clause.
void BM_FilterMatch(benchmark::State& state) {
  auto filter = p::Filter::compile(R"(channel == "chat" && language == "ko" && tier == "vip")");
  if (!filter) throw std::runtime_error(filter.error().message());
  const bool matching = state.range(0) == 0;
  const std::array<p::FlatAttributes::Entry, 6> entries = {{
      {"customer_id", "cus-9c1d75c09cce9cafcf1c"},
      {"provider", "webchat"},
      {"conversation_id", "cnv-ec9d27ba91d11b4cd412"},
      {"channel", matching ? "chat" : "email"},
      {"language", "ko"},
      {"tier", "vip"},
  }};
  const p::FlatAttributes attributes(entries);
  const uint64_t start = switchboard::bench::allocationCount();
  for (auto _ : state) {
    benchmark::DoNotOptimize(filter->matches(attributes));
  }
  reportAllocations(state, start);
}
BENCHMARK(BM_FilterMatch)->ArgName("miss")->Arg(0)->Arg(1);

// selectQueue() + slaDeadline() + effectivePriority() for a mix of work items read straight
// from their protobuf (WorkItemAttributes): what the dispatch stage does per new item.
void BM_ClassifyWorkItem(benchmark::State& state) {
  const p::Policy policy = examplePolicy();
  std::vector<v1::WorkItem> items(8);
  const v1::Channel channels[] = {v1::CHANNEL_CHAT,      v1::CHANNEL_EMAIL, v1::CHANNEL_INSTAGRAM,
                                  v1::CHANNEL_SMS,       v1::CHANNEL_CHAT,  v1::CHANNEL_X,
                                  v1::CHANNEL_MESSENGER, v1::CHANNEL_CHAT};
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].set_channel(channels[i]);
    items[i].set_customer_id("cus-" + std::to_string(i));
    items[i].set_tier(i % 2 == 0 ? "vip" : "standard");
    items[i].set_language(i % 3 == 0 ? "ko" : "en");
    items[i].mutable_message()->set_provider("webchat");
  }
  const p::TimePoint arrival =
      std::chrono::sys_days(std::chrono::year(2026) / 1 / 5) + std::chrono::hours(14);
  size_t next = 0;
  const uint64_t start = switchboard::bench::allocationCount();
  for (auto _ : state) {
    const v1::WorkItem& item = items[next];
    next = (next + 1) % items.size();
    const p::WorkItemAttributes attributes(item);
    const p::Queue* queue = p::selectQueue(policy, attributes);
    const p::SlaDeadline deadline = p::slaDeadline(policy, *queue, item.channel(), arrival);
    benchmark::DoNotOptimize(p::effectivePriority(*queue, attributes, deadline.at, arrival));
  }
  reportAllocations(state, start);
}
BENCHMARK(BM_ClassifyWorkItem);

void BM_CalendarIsOpen(benchmark::State& state) {
  const p::Policy policy = examplePolicy();
  const p::BusinessCalendar& calendar = *policy.findCalendar("new-york");
  const p::TimePoint base =
      std::chrono::sys_days(std::chrono::year(2026) / 1 / 5) + std::chrono::hours(1);
  // Walk through 2026 in 7-minute steps (both DST changes included), then start over.
  constexpr int kStepsPerYear = 365 * 24 * 60 / 7;
  int step = 0;
  const uint64_t start = switchboard::bench::allocationCount();
  for (auto _ : state) {
    benchmark::DoNotOptimize(calendar.isOpen(base + std::chrono::minutes(7 * step)));
    if (++step == kStepsPerYear) step = 0;
  }
  reportAllocations(state, start);
}
BENCHMARK(BM_CalendarIsOpen);

}  // namespace
