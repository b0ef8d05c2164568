// End-to-end throughput of the stage runtime (core/stage) on the embedded Kafka (librdkafka's
// mock cluster, in this process): N records are produced to an input topic first; then a
// StageRunner with a trivial processor (one state put and one output per record) runs until
// the broker has acknowledged all N outputs. Every record goes through the whole
// effectively-once cycle: RocksDB batch with state, positions, outbox and changelog batch;
// changelog record produced and acknowledged; outputs produced and acknowledged; outbox
// cleared; offsets committed.
//
// Manual timing: an iteration's time runs from the moment the runner has opened its tasks
// (after the ~3 s consumer-group join and the restore, which are not counted) to the delivery
// report of the last output. items_per_second is records per second. Counters:
// cycles_per_iter, records_per_cycle and cycle_ms (mean duration of one cycle, from the
// runner's own switchboard_stage_cycle_duration_seconds histogram).
//
// Producer, consumer and broker threads share the machine's cores with the runner thread.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/kafka/embedded_cluster.h"
#include "core/kafka/producer.h"
#include "core/log.h"
#include "core/metrics/metrics_registry.h"
#include "core/stage/stage_processor.h"
#include "core/stage/stage_runner.h"

namespace switchboard::stage {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr auto kWaitLimit = std::chrono::seconds(120);
constexpr int kCustomers = 1'000;  // distinct keys, hence distinct state entries per run

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "stage_runner_benchmark: %s\n", what.c_str());
  std::abort();
}

void check(const Status& status, std::string_view what) {
  if (!status) die(std::string(what) + ": " + status.error().describe());
}

// Counts acknowledged records of one topic on the producer's poll thread and notes when the
// expected number is reached.
class DeliveryCounter : public kafka::ProducerObserver {
 public:
  void expect(std::string topic, size_t count) {
    std::lock_guard lock(mutex_);
    topic_ = std::move(topic);
    expected_ = count;
    acknowledged_ = 0;
    failed_ = 0;
    done_ = false;
  }

  void recordDelivered(std::string_view topic, std::chrono::microseconds, bool ok) override {
    std::lock_guard lock(mutex_);
    if (topic != topic_) return;
    if (!ok) {
      ++failed_;
      return;
    }
    if (++acknowledged_ == expected_) {
      done_at_ = SteadyClock::now();
      done_ = true;
      cv_.notify_all();
    }
  }

  // The time of the last expected acknowledgement; aborts after kWaitLimit.
  SteadyClock::time_point waitAll() {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, kWaitLimit, [this] { return done_; })) {
      die("only " + std::to_string(acknowledged_) + " of " + std::to_string(expected_) +
          " outputs acknowledged (" + std::to_string(failed_) + " failed)");
    }
    return done_at_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string topic_;
  size_t expected_ = 0;
  size_t acknowledged_ = 0;
  size_t failed_ = 0;
  bool done_ = false;
  SteadyClock::time_point done_at_;
};

// One state put and one output per record; remembers when its tasks were opened.
class ForwardingProcessor : public StageProcessor {
 public:
  explicit ForwardingProcessor(std::string output_topic) : output_topic_(std::move(output_topic)) {}

  void open(TaskContext&) override { opened_at_.store(SteadyClock::now().time_since_epoch()); }
  void close(int32_t) override {}
  void process(const InputRecord& record, TaskContext& ctx) override {
    std::string key = "last/";
    key.append(record.key);
    ctx.put(key, std::to_string(record.offset));
    ctx.emit({.topic = output_topic_,
              .key = std::string(record.key),
              .value = std::string(record.value),
              .event_type = "bench.Record"});
  }

  SteadyClock::time_point openedAt() const { return SteadyClock::time_point(opened_at_.load()); }

 private:
  std::string output_topic_;
  std::atomic<SteadyClock::duration> opened_at_{};
};

// A 400-byte record value, about the size of a serialized chat InboundMessage.
std::string recordValue(size_t n) {
  std::string value = "{\"n\":" + std::to_string(n) + ",\"text\":\"";
  while (value.size() < 398) value += "Hi, I was charged twice this month. ";
  value.resize(398);
  value += "\"}";
  return value;
}

std::string customerKey(size_t n) {
  char key[32];
  std::snprintf(key, sizeof key, "cus-%016zx", n % kCustomers);
  return key;
}

// Sum of a counter family's values, or of a histogram family's sample counts and sums.
struct FamilyTotals {
  double value = 0;
  double samples = 0;
  double sum = 0;
};

FamilyTotals totals(metrics::MetricsRegistry& metrics, std::string_view name) {
  FamilyTotals out;
  for (const prometheus::MetricFamily& family : metrics.registry().Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& m : family.metric) {
      out.value += m.counter.value;
      out.samples += static_cast<double>(m.histogram.sample_count);
      out.sum += m.histogram.sample_sum;
    }
  }
  return out;
}

void BM_StageThroughput(benchmark::State& state) {
  const auto partitions = static_cast<int32_t>(state.range(0));
  const auto max_batch = static_cast<size_t>(state.range(1));
  const auto records = static_cast<size_t>(state.range(2));
  log::setLevel(log::Level::kWarn);

  auto cluster = kafka::EmbeddedCluster::start();
  if (!cluster) die("embedded cluster: " + cluster.error().describe());
  kafka::KafkaSettings settings;
  settings.brokers = (*cluster)->bootstrapServers();
  DeliveryCounter deliveries;
  auto producer = kafka::Producer::create(settings, {}, &deliveries);
  if (!producer) die("producer: " + producer.error().describe());
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("sb-stage-bench-" + std::to_string(::getpid()));

  double cycles = 0;
  double cycle_seconds = 0;
  int run = 0;
  for (auto _ : state) {
    // Fresh topics, group and store each time: every run starts from an empty state.
    const std::string suffix = std::to_string(run++);
    const std::string in = "bench.in." + suffix;
    const std::string out = "bench.out." + suffix;
    check((*cluster)->createTopics({{in, partitions},
                                    {out, partitions},
                                    {"bench.changelog." + suffix, partitions},
                                    {"bench.dlq." + suffix, 1}}),
          "create topics");
    for (size_t n = 0; n < records; ++n) {
      check((*producer)->produce({.topic = in, .key = customerKey(n), .value = recordValue(n)},
                                 nullptr),
            "produce input");
    }
    check((*producer)->flush(std::chrono::seconds(60)), "flush inputs");
    deliveries.expect(out, records);

    ForwardingProcessor processor(out);
    metrics::MetricsRegistry metrics;
    StageOptions options;
    options.name = "bench";
    options.input_topics = {in};
    options.changelog_topic = "bench.changelog." + suffix;
    options.dead_letter_topic = "bench.dlq." + suffix;
    options.group_id = "bench-" + suffix;
    options.state_dir = (root / suffix).string();
    options.max_batch = max_batch;
    auto runner = StageRunner::create(settings, options, processor, **producer, metrics);
    if (!runner) die("stage runner: " + runner.error().describe());
    Status result = okStatus();
    std::thread thread([&] { result = (*runner)->run(); });
    const SteadyClock::time_point done = deliveries.waitAll();
    (*runner)->stop();
    thread.join();
    check(result, "stage runner run()");
    state.SetIterationTime(std::chrono::duration<double>(done - processor.openedAt()).count());

    cycles += totals(metrics, "switchboard_stage_cycles_total").value;
    cycle_seconds += totals(metrics, "switchboard_stage_cycle_duration_seconds").sum;
    runner->reset();
    std::filesystem::remove_all(root / suffix);
  }
  std::filesystem::remove_all(root);
  state.SetItemsProcessed(static_cast<int64_t>(records) * state.iterations());
  state.counters["cycles_per_iter"] =
      benchmark::Counter(cycles, benchmark::Counter::kAvgIterations);
  state.counters["records_per_cycle"] =
      cycles > 0 ? static_cast<double>(records) * static_cast<double>(state.iterations()) / cycles
                 : 0;
  state.counters["cycle_ms"] = cycles > 0 ? 1000 * cycle_seconds / cycles : 0;
}
BENCHMARK(BM_StageThroughput)
    ->ArgNames({"partitions", "max_batch", "records"})
    ->Args({4, 500, 20'000})
    ->Args({4, 50, 20'000})
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace switchboard::stage
