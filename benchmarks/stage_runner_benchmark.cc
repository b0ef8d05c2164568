// End-to-end throughput of the stage runtime (core/stage) on the embedded Kafka (librdkafka's
// mock cluster, in this process): N records are produced to an input topic first; then a
// StageRunner with a trivial processor (one state put and one output per record) runs until
// the broker has acknowledged all N outputs. Every record goes through the whole
// effectively-once cycle: RocksDB batch with state, positions, outbox and changelog batch;
// changelog record produced and acknowledged; outputs produced and acknowledged; outbox
// cleared; offsets committed.
//
// Manual timing: an iteration's time runs from the first record handed to the processor to the
// delivery report of the last output. Not counted: producing the inputs, the ~3 s consumer
// group join, task restore and the first fetch (first_record_ms, reported apart).
// items_per_second is records per second. Counters, per iteration or per cycle:
//   cycles_per_iter, records_per_cycle, cycle_ms   from the runner's own metrics
//                                                  (switchboard_stage_cycle_duration_seconds);
//   process_ms_per_cycle                           time spent handing one batch's records to
//                                                  the processor (the rest of a cycle is
//                                                  saving, producing and waiting);
//   changelog_ack_ms, output_ack_ms                mean produce-to-acknowledgement latency of
//                                                  the changelog and output records, which the
//                                                  runner waits for one after the other.
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

// Counts acknowledged records of the output topic on the producer's poll thread and notes when
// the expected number is reached. Also sums the produce-to-acknowledgement latency of the
// output and changelog records (what the runner waits for twice per cycle).
class DeliveryCounter : public kafka::ProducerObserver {
 public:
  struct Latency {
    double sum_ms = 0;
    double count = 0;
    double meanMs() const { return count > 0 ? sum_ms / count : 0; }
  };

  void expect(std::string topic, std::string changelog_topic, size_t count) {
    std::lock_guard lock(mutex_);
    topic_ = std::move(topic);
    changelog_topic_ = std::move(changelog_topic);
    output_latency_ = {};
    changelog_latency_ = {};
    expected_ = count;
    acknowledged_ = 0;
    failed_ = 0;
    done_ = false;
  }

  void recordDelivered(std::string_view topic, std::chrono::microseconds latency,
                       bool ok) override {
    std::lock_guard lock(mutex_);
    if (topic == changelog_topic_ && ok) add(changelog_latency_, latency);
    if (topic != topic_) return;
    if (!ok) {
      ++failed_;
      return;
    }
    add(output_latency_, latency);
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

  Latency outputLatency() {
    std::lock_guard lock(mutex_);
    return output_latency_;
  }
  Latency changelogLatency() {
    std::lock_guard lock(mutex_);
    return changelog_latency_;
  }

 private:
  static void add(Latency& total, std::chrono::microseconds latency) {
    total.sum_ms += static_cast<double>(latency.count()) / 1000;
    total.count += 1;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::string topic_;
  std::string changelog_topic_;
  Latency output_latency_;
  Latency changelog_latency_;
  size_t expected_ = 0;
  size_t acknowledged_ = 0;
  size_t failed_ = 0;
  bool done_ = false;
  SteadyClock::time_point done_at_;
};

// One state put and one output per record; remembers when its tasks were opened and when each
// record was processed (to tell processing from waiting).
class ForwardingProcessor : public StageProcessor {
 public:
  ForwardingProcessor(std::string output_topic, size_t records)
      : output_topic_(std::move(output_topic)) {
    stamps_.reserve(records);
  }

  void open(TaskContext&) override { opened_at_.store(SteadyClock::now().time_since_epoch()); }
  void close(int32_t) override {}
  void process(const InputRecord& record, TaskContext& ctx) override {
    stamps_.push_back(SteadyClock::now());
    std::string key = "last/";
    key.append(record.key);
    ctx.put(key, std::to_string(record.offset));
    ctx.emit({.topic = output_topic_,
              .key = std::string(record.key),
              .value = std::string(record.value),
              .event_type = "bench.Record"});
  }

  SteadyClock::time_point openedAt() const { return SteadyClock::time_point(opened_at_.load()); }
  // Read after the runner's thread has ended.
  const std::vector<SteadyClock::time_point>& stamps() const { return stamps_; }

 private:
  std::string output_topic_;
  std::vector<SteadyClock::time_point> stamps_;
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

double ms(SteadyClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
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
  double output_ack_ms = 0;
  double first_record_ms = 0;
  double processing_ms = 0;
  double changelog_ack_ms = 0;
  int run = 0;
  for (auto _ : state) {
    // Fresh topics, group and store each time: every run starts from an empty state.
    const std::string suffix = std::to_string(run++);
    const std::string in = "bench.in." + suffix;
    const std::string out = "bench.out." + suffix;
    const std::string changelog = "bench.changelog." + suffix;
    check((*cluster)->createTopics({{in, partitions},
                                    {out, partitions},
                                    {changelog, partitions},
                                    {"bench.dlq." + suffix, 1}}),
          "create topics");
    for (size_t n = 0; n < records; ++n) {
      check((*producer)->produce({.topic = in, .key = customerKey(n), .value = recordValue(n)},
                                 nullptr),
            "produce input");
    }
    check((*producer)->flush(std::chrono::seconds(60)), "flush inputs");
    deliveries.expect(out, changelog, records);

    ForwardingProcessor processor(out, records);
    metrics::MetricsRegistry metrics;
    StageOptions options;
    options.name = "bench";
    options.input_topics = {in};
    options.changelog_topic = changelog;
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
    const std::vector<SteadyClock::time_point>& stamps = processor.stamps();
    if (stamps.size() != records) die("processed " + std::to_string(stamps.size()) + " records");
    state.SetIterationTime(std::chrono::duration<double>(done - stamps.front()).count());

    // Not timed: from the tasks' opening to the first record (the first fetch). Timed: inside
    // each batch, from its first record to its last (the processor's work plus the runner's
    // per-record bookkeeping). Batches are told apart by a pause of over 0.2 ms.
    first_record_ms += ms(stamps.front() - processor.openedAt());
    for (size_t i = 1; i < stamps.size(); ++i) {
      const SteadyClock::duration gap = stamps[i] - stamps[i - 1];
      if (gap < std::chrono::microseconds(200)) processing_ms += ms(gap);
    }

    output_ack_ms += deliveries.outputLatency().meanMs();
    changelog_ack_ms += deliveries.changelogLatency().meanMs();
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
  state.counters["first_record_ms"] =
      benchmark::Counter(first_record_ms, benchmark::Counter::kAvgIterations);
  state.counters["process_ms_per_cycle"] = cycles > 0 ? processing_ms / cycles : 0;
  state.counters["output_ack_ms"] =
      benchmark::Counter(output_ack_ms, benchmark::Counter::kAvgIterations);
  state.counters["changelog_ack_ms"] =
      benchmark::Counter(changelog_ack_ms, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_StageThroughput)
    ->ArgNames({"partitions", "max_batch", "records"})
    ->Args({4, 500, 20'000})
    ->Args({4, 50, 20'000})
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace switchboard::stage
