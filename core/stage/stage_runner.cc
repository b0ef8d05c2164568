#include "core/stage/stage_runner.h"

#include <openssl/rand.h>

#include <algorithm>
#include <thread>

#include "core/log.h"
#include "core/stage/crash_points.h"
#include "core/stage/state_keys.h"
#include "switchboard/v1/changelog.pb.h"

namespace switchboard::stage {
namespace {

std::string randomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

void addEntries(v1::ChangelogBatch& batch, const state::WriteSet& writes) {
  for (const auto& [k, v] : writes) {
    if (k.starts_with(keys::kChangelogPrefix)) continue;  // local bookkeeping only
    auto* e = batch.add_entries();
    e->set_key(k);
    if (v) {
      e->set_value(*v);
    } else {
      e->set_deleted(true);
    }
  }
}

}  // namespace

Result<std::unique_ptr<StageRunner>> StageRunner::create(const kafka::KafkaSettings& settings,
                                                         StageOptions options,
                                                         StageProcessor& processor,
                                                         kafka::Producer& producer,
                                                         metrics::MetricsRegistry& metrics) {
  if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
  if (options.dead_letter_source.empty()) options.dead_letter_source = "stage/" + options.name;
  std::unique_ptr<StageRunner> runner(
      new StageRunner(std::move(options), processor, producer, metrics));
  runner->settings_ = settings;
  SB_ASSIGN_OR_RETURN(runner->store_,
                      state::StateStore::open(runner->options_.state_dir,
                                              {.sync_writes = runner->options_.sync_writes}));
  SB_ASSIGN_OR_RETURN(runner->reader_, kafka::PartitionReader::create(settings));
  kafka::ConsumerOptions co;
  co.group_id = runner->options_.group_id;
  co.topics = runner->options_.input_topics;
  co.client_id = "switchboard-" + runner->options_.name;
  co.overrides = runner->options_.consumer_overrides;
  SB_ASSIGN_OR_RETURN(runner->consumer_, kafka::Consumer::create(settings, co, runner.get()));
  return runner;
}

StageRunner::StageRunner(StageOptions options, StageProcessor& processor, kafka::Producer& producer,
                         metrics::MetricsRegistry& metrics)
    : options_(std::move(options)),
      processor_(processor),
      producer_(producer),
      probe_(metrics, options_.name),
      instance_id_(randomHex(6)) {}

StageRunner::~StageRunner() {
  if (consumer_) consumer_->close();
}

Status StageRunner::run() {
  log::info("stage." + options_.name,
            "started, instance " + instance_id_ + ", group " + options_.group_id);
  std::vector<kafka::MessagePtr> batch;
  batch.reserve(options_.max_batch);
  last_tick_ = std::chrono::steady_clock::now();
  while (!stopping_.load()) {
    batch.clear();
    consumer_->pollBatch(batch, options_.max_batch, options_.poll_timeout);
    if (!assignment_error_) {
      Status error = assignment_error_;
      assignment_error_ = okStatus();
      log::error("stage." + options_.name,
                 "partition assignment failed: " + error.error().describe());
      ready_.store(false);
      return error;
    }
    Status cycle = runCycle(batch);
    if (!cycle) {
      ready_.store(false);
      return cycle;
    }
  }
  // Clean shutdown: every cycle ends durable, so only the offsets are left to commit.
  std::vector<Task*> all;
  for (auto& [p, t] : tasks_) all.push_back(&t);
  commitPositions(all, true);
  consumer_->close();
  ready_.store(false);
  log::info("stage." + options_.name, "stopped");
  return okStatus();
}

Status StageRunner::runCycle(std::vector<kafka::MessagePtr>& batch) {
  auto started = std::chrono::steady_clock::now();
  size_t handled = 0;
  for (auto& m : batch) {
    SB_RETURN_IF_ERROR(processRecord(*m));
    ++handled;
  }
  if (started - last_tick_ >= options_.tick_interval) {
    tickAll();
    reportLag();
    last_tick_ = started;
  }
  std::vector<Task*> dirty;
  std::vector<Task*> restored;
  for (auto& [p, t] : tasks_) {
    if (!t.hasWork() && started - t.last_snapshot >= options_.snapshot_max_age) {
      // A quiet task still renews its snapshot before retention could drop the last one.
      t.writes.insert_or_assign("r/snapshot_due", "1");
    }
    if (t.hasWork()) {
      dirty.push_back(&t);
    } else if (t.commit_pending) {
      restored.push_back(&t);
    }
    t.commit_pending = false;
  }
  if (!restored.empty()) commitPositions(restored, false);
  if (dirty.empty()) return okStatus();

  bool has_outputs = false;
  for (Task* t : dirty) has_outputs = has_outputs || !t->outputs.empty();
  std::vector<std::vector<std::string>> batches;
  SB_RETURN_IF_ERROR(saveCycle(dirty, batches));
  crashPoint(options_.name, "after_state_saved", has_outputs);
  SB_RETURN_IF_ERROR(produceChangelog(dirty, batches));
  crashPoint(options_.name, "after_changelog", has_outputs);
  SB_RETURN_IF_ERROR(produceOutputs(dirty));
  crashPoint(options_.name, "after_outputs", has_outputs);
  SB_RETURN_IF_ERROR(acknowledgeCycle(dirty));
  crashPoint(options_.name, "after_state_cleared", has_outputs);
  commitPositions(dirty, false);
  crashPoint(options_.name, "after_commit", has_outputs);
  probe_.cycleCompleted(std::chrono::steady_clock::now() - started, handled);
  return okStatus();
}

Status StageRunner::processRecord(const rd_kafka_message_t& m) {
  auto it = tasks_.find(m.partition);
  if (it == tasks_.end()) return okStatus();  // fetched before a revoke: the new owner has it
  Task& task = it->second;
  std::string_view topic = kafka::messageTopic(&m);
  auto pos = task.positions.find(topic);
  if (pos != task.positions.end() && m.offset < pos->second) {
    probe_.replaySkipped();
    return okStatus();
  }
  InputRecord record;
  record.topic = topic;
  record.partition = m.partition;
  record.offset = m.offset;
  record.key = kafka::messageKey(&m);
  record.value = kafka::messageValue(&m);
  record.event_id = kafka::messageHeader(&m, kafka::kIdHeader).value_or(std::string_view());
  record.event_type = kafka::messageHeader(&m, kafka::kTypeHeader).value_or(std::string_view());
  rd_kafka_timestamp_type_t tstype;
  int64_t ts = rd_kafka_message_timestamp(&m, &tstype);
  record.timestamp =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(ts > 0 ? ts : 0));

  TaskContextImpl ctx(task, *store_, options_.clock, options_.name, options_.dead_letter_topic,
                      options_.dead_letter_source);
  ctx.setInput(&record);
  processor_.process(record, ctx);
  if (ctx.rejected()) {
    probe_.recordRejected(ctx.rejectReason());
  } else {
    probe_.recordProcessed();
  }
  int64_t next = m.offset + 1;
  if (pos != task.positions.end()) {
    pos->second = next;
  } else {
    task.positions.emplace(std::string(topic), next);
  }
  task.writes.insert_or_assign(keys::position(topic), std::to_string(next));
  ++task.records_in_cycle;
  return okStatus();
}

void StageRunner::tickAll() {
  for (auto& [p, task] : tasks_) {
    TaskContextImpl ctx(task, *store_, options_.clock, options_.name, options_.dead_letter_topic,
                        options_.dead_letter_source);
    ctx.setInput(nullptr);
    processor_.tick(ctx);
  }
}

void StageRunner::reportLag() {
  for (const auto& [p, task] : tasks_) {
    for (const std::string& topic : options_.input_topics) {
      int64_t low = -1;
      int64_t high = -1;
      if (rd_kafka_get_watermark_offsets(consumer_->handle(), topic.c_str(), p, &low, &high) !=
              RD_KAFKA_RESP_ERR_NO_ERROR ||
          high < 0) {
        continue;  // nothing fetched from it yet
      }
      auto pos = task.positions.find(topic);
      const int64_t next = pos != task.positions.end() ? pos->second : low;
      probe_.consumerLag(topic, p, std::max<int64_t>(0, high - std::max<int64_t>(next, low)));
    }
  }
}

Status StageRunner::saveCycle(std::vector<Task*>& dirty,
                              std::vector<std::vector<std::string>>& batches) {
  batches.clear();
  for (Task* task : dirty) {
    uint64_t seq = task->seq + 1;
    // Fix every output's partition, and where its replay check must start, before anything
    // is durable: recovery needs both.
    for (size_t i = 0; i < task->outputs.size(); ++i) {
      TaskOutput& out = task->outputs[i];
      SB_ASSIGN_OR_RETURN(int32_t count, partitionCount(out.output.topic));
      out.partition = kafka::Producer::partitionForKey(out.output.key, count);
      SB_RETURN_IF_ERROR(ensureOutputMark(*task, out.output.topic, out.partition));
      v1::PendingOutput pending;
      pending.set_topic(out.output.topic);
      pending.set_partition(out.partition);
      pending.set_key(out.output.key);
      pending.set_value(out.output.value);
      pending.set_event_id(out.output.event_id);
      pending.set_event_type(out.output.event_type);
      task->writes.insert_or_assign(keys::outbox(seq, i), pending.SerializeAsString());
    }
    // Earlier local-only writes ride along so that the changelog catches up with them.
    task->takeCarry();

    v1::ChangelogBatch batch;
    batch.set_batch_id(options_.name + "-" + instance_id_ + "-" + std::to_string(task->partition) +
                       "-" + std::to_string(seq));
    batch.set_prev_batch_id(task->head);
    batch.set_sequence(seq);
    auto now = std::chrono::steady_clock::now();
    bool snapshot = task->bytes_since_snapshot >= options_.snapshot_every_bytes ||
                    now - task->last_snapshot >= options_.snapshot_max_age;
    if (snapshot) task->last_snapshot = now;
    std::vector<std::string> records;
    if (snapshot) {
      // Full state after this cycle: the durable state overlaid with this cycle's writes.
      state::WriteSet full;
      SB_RETURN_IF_ERROR(
          store_->scan(task->partition, "", [&](std::string_view k, std::string_view v) {
            if (!k.starts_with(keys::kChangelogPrefix))
              full.emplace(std::string(k), std::string(v));
          }));
      for (const auto& [k, v] : task->writes) {
        if (k.starts_with(keys::kChangelogPrefix)) continue;  // local bookkeeping only
        if (v) {
          full.insert_or_assign(k, v);
        } else {
          full.erase(k);
        }
      }
      // Split into records under the size limit; all parts share the batch id.
      std::vector<v1::ChangelogBatch> parts(1);
      size_t part_bytes = 0;
      for (const auto& [k, v] : full) {
        size_t entry_bytes = k.size() + v->size() + 16;
        if (part_bytes > 0 && part_bytes + entry_bytes > options_.max_changelog_record_bytes) {
          parts.emplace_back();
          part_bytes = 0;
        }
        auto* e = parts.back().add_entries();
        e->set_key(k);
        e->set_value(*v);
        part_bytes += entry_bytes;
      }
      for (size_t i = 0; i < parts.size(); ++i) {
        parts[i].set_batch_id(batch.batch_id());
        parts[i].set_prev_batch_id(batch.prev_batch_id());
        parts[i].set_sequence(seq);
        parts[i].set_snapshot(true);
        parts[i].set_snapshot_part(static_cast<uint32_t>(i));
        parts[i].set_snapshot_parts(static_cast<uint32_t>(parts.size()));
        records.push_back(parts[i].SerializeAsString());
      }
      task->bytes_since_snapshot = 0;
    } else {
      batch.set_bytes_since_snapshot(task->bytes_since_snapshot);
      addEntries(batch, task->writes);
      records.push_back(batch.SerializeAsString());
    }
    for (const auto& r : records) task->bytes_since_snapshot += snapshot ? 0 : r.size();
    task->writes.insert_or_assign(std::string(keys::kSinceSnapshot),
                                  std::to_string(task->bytes_since_snapshot));

    // One atomic write: state, positions, outbox and the batch that describes them.
    for (size_t i = 0; i < records.size(); ++i) {
      task->writes.insert_or_assign(keys::pendingBatch(i), records[i]);
    }
    task->writes.insert_or_assign(std::string(keys::kHead), batch.batch_id());
    task->writes.insert_or_assign(std::string(keys::kSeq), std::to_string(seq));
    SB_RETURN_IF_ERROR(store_->write(task->partition, task->writes));
    task->writes.clear();
    task->head = batch.batch_id();
    task->seq = seq;
    batches.push_back(std::move(records));
  }
  return okStatus();
}

Status StageRunner::produceChangelog(std::vector<Task*>& dirty,
                                     const std::vector<std::vector<std::string>>& batches) {
  // Retried until acknowledged: a repeated batch record is harmless (restore skips a batch
  // whose id it already has), a missing one is not.
  for (int attempt = 0;; ++attempt) {
    size_t total = 0;
    for (const auto& b : batches) total += b.size();
    latch_.reset(total);
    size_t slot = 0;
    for (size_t t = 0; t < dirty.size(); ++t) {
      for (const auto& record : batches[t]) {
        kafka::OutgoingRecord r;
        r.topic = options_.changelog_topic;
        r.partition = dirty[t]->partition;
        r.key = std::to_string(dirty[t]->partition);
        r.value = record;
        r.event_id = dirty[t]->head;
        r.event_type = "switchboard.v1.ChangelogBatch";
        if (!producer_.produce(r, latch_.slot(slot))) latch_.abandon(slot);
        ++slot;
      }
    }
    latch_.wait();
    bool all_ok = true;
    slot = 0;
    for (size_t t = 0; t < dirty.size(); ++t) {
      for (size_t i = 0; i < batches[t].size(); ++i, ++slot) {
        const auto& report = latch_.slot(slot)->report();
        if (report.ok()) {
          dirty[t]->changelog_next = std::max(dirty[t]->changelog_next, report.offset + 1);
        } else {
          all_ok = false;
        }
      }
    }
    if (all_ok) return okStatus();
    probe_.kafkaRetry();
    if (!waitBeforeRetry(attempt)) {
      return makeError(Errc::kUnavailable, "stopping with an unacknowledged changelog batch");
    }
  }
}

Status StageRunner::produceOutputs(std::vector<Task*>& dirty) {
  size_t total = 0;
  for (Task* t : dirty) total += t->outputs.size();
  if (total == 0) return okStatus();
  latch_.reset(total);
  size_t slot = 0;
  for (Task* task : dirty) {
    for (auto& out : task->outputs) {
      kafka::OutgoingRecord r;
      r.topic = out.output.topic;
      r.partition = out.partition;
      r.key = std::move(out.output.key);
      r.value = std::move(out.output.value);
      r.event_id = out.output.event_id;
      r.event_type = std::move(out.output.event_type);
      if (!producer_.produce(r, latch_.slot(slot))) latch_.abandon(slot);
      ++slot;
    }
  }
  latch_.wait();
  slot = 0;
  bool failed = false;
  const bool trace = log::enabled(log::Level::kDebug);
  // Marks move only once every output is acknowledged: recovery below must look from the old
  // marks, or it would miss (and send again) the outputs that did arrive.
  std::vector<std::map<std::pair<std::string, int32_t>, int64_t>> moved(dirty.size());
  for (size_t t = 0; t < dirty.size(); ++t) {
    Task* task = dirty[t];
    std::string line;
    for (auto& out : task->outputs) {
      const auto& report = latch_.slot(slot++)->report();
      if (trace) {
        line += " " + out.output.event_id + "@" + out.output.topic + "/" +
                std::to_string(out.partition) + ":" +
                (report.ok() ? std::to_string(report.offset) : "failed");
      }
      if (report.ok()) {
        auto& mark = moved[t][{out.output.topic, out.partition}];
        mark = std::max(mark, report.offset + 1);
      } else {
        failed = true;
      }
    }
    if (trace) {
      log::debug("stage." + options_.name, "task " + std::to_string(task->partition) + " batch " +
                                               task->head + " outputs:" + line);
    }
  }
  if (!failed) {
    for (size_t t = 0; t < dirty.size(); ++t) {
      for (const auto& [tp, next] : moved[t]) {
        auto& mark = dirty[t]->output_marks[tp];
        mark = std::max(mark, next);
      }
    }
    return okStatus();
  }
  // Some outputs failed or their fate is unknown (a timeout can hide a write that happened):
  // settle them the way a restart would, by looking on their partitions first.
  probe_.kafkaRetry();
  for (Task* task : dirty) SB_RETURN_IF_ERROR(recoverOutbox(*task));
  return okStatus();
}

Status StageRunner::acknowledgeCycle(std::vector<Task*>& dirty) {
  for (Task* task : dirty) {
    state::WriteSet ack;
    // Outbox entries of this batch (recoverOutbox may already have cleared them).
    for (size_t i = 0; i < task->outputs.size(); ++i) {
      task->carryWrite(ack, keys::outbox(task->seq, i), std::nullopt);
    }
    for (const auto& [tp, mark] : task->output_marks) {
      task->carryWrite(ack, keys::outputMark(tp.first, tp.second), std::to_string(mark));
    }
    // Local-only: the pending batch is in the changelog now.
    SB_RETURN_IF_ERROR(store_->scan(
        task->partition, keys::kPendingBatch,
        [&](std::string_view k, std::string_view) { ack.emplace(std::string(k), std::nullopt); }));
    ack.insert_or_assign(std::string(keys::kNext), std::to_string(task->changelog_next));
    SB_RETURN_IF_ERROR(store_->write(task->partition, ack));
    task->outputs.clear();
    task->records_in_cycle = 0;
  }
  return okStatus();
}

void StageRunner::commitPositions(const std::vector<Task*>& tasks, bool synchronous) {
  std::vector<kafka::StartPosition> offsets;
  for (const Task* task : tasks) {
    for (const auto& [topic, next] : task->positions) {
      offsets.push_back({{topic, task->partition}, next});
    }
  }
  if (offsets.empty()) return;
  // Commits are advisory (positions in the store are what counts): asynchronous in the
  // cycle, synchronous when partitions leave or the stage stops.
  if (!consumer_->commit(offsets, !synchronous)) probe_.commitFailed();
}

bool StageRunner::waitBeforeRetry(int attempt) {
  auto delay = std::chrono::milliseconds(std::min(5000, 100 << std::min(attempt, 6)));
  auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (stopping_.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

Result<int32_t> StageRunner::partitionCount(const std::string& topic) {
  auto it = partition_counts_.find(topic);
  if (it != partition_counts_.end()) return it->second;
  SB_ASSIGN_OR_RETURN(int32_t count, producer_.partitionCount(topic, options_.kafka_timeout));
  partition_counts_.emplace(topic, count);
  return count;
}

}  // namespace switchboard::stage
