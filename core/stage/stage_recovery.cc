// StageRunner: partition assignment, state restore from the changelog and recovery of an
// interrupted cycle. Runs inside the consumer's rebalance callback, before any record of the
// assigned partitions is fetched.
#include <set>

#include "core/log.h"
#include "core/stage/stage_runner.h"
#include "core/stage/state_keys.h"
#include "switchboard/v1/changelog.pb.h"

namespace switchboard::stage {
namespace {

int64_t parseInt(std::string_view s) {
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Applies a changelog batch (all its parts, for a snapshot) to the local store, atomically.
Status applyBatch(state::StateStore& store, int32_t partition,
                  const std::vector<v1::ChangelogBatch>& parts, int64_t next_offset,
                  size_t record_bytes) {
  state::WriteSet writes;
  for (const auto& part : parts) {
    for (const auto& e : part.entries()) {
      if (e.deleted()) {
        writes.insert_or_assign(e.key(), std::nullopt);
      } else {
        writes.insert_or_assign(e.key(), e.value());
      }
    }
  }
  const auto& first = parts.front();
  // The snapshot distance as the writer counted it, this record included.
  const uint64_t since = first.snapshot() ? 0 : first.bytes_since_snapshot() + record_bytes;
  writes.insert_or_assign(std::string(keys::kSinceSnapshot), std::to_string(since));
  writes.insert_or_assign(std::string(keys::kHead), first.batch_id());
  writes.insert_or_assign(std::string(keys::kSeq), std::to_string(first.sequence()));
  writes.insert_or_assign(std::string(keys::kNext), std::to_string(next_offset));
  // A snapshot replaces everything, the local bookkeeping included.
  return store.write(partition, writes, first.snapshot());
}

}  // namespace

std::vector<kafka::StartPosition> StageRunner::onAssigned(
    const std::vector<kafka::TopicPartition>& partitions) {
  std::set<int32_t> numbers;
  for (const auto& tp : partitions) numbers.insert(tp.partition);
  for (int32_t p : numbers) {
    if (tasks_.count(p)) continue;
    Status opened = openTask(p);
    if (!opened) {
      // Surfaced by run(): a task we cannot restore must not be processed.
      assignment_error_ = opened;
      tasks_.erase(p);
    }
  }
  probe_.partitionsAssigned(tasks_.size());
  // Ready once the group gave us our share (possibly none) and it is restored.
  if (assignment_error_) ready_.store(true);
  std::vector<kafka::StartPosition> starts;
  for (const auto& tp : partitions) {
    int64_t offset = RD_KAFKA_OFFSET_BEGINNING;
    auto t = tasks_.find(tp.partition);
    if (t != tasks_.end()) {
      auto pos = t->second.positions.find(tp.topic);
      if (pos != t->second.positions.end()) offset = pos->second;
    }
    starts.push_back({tp, offset});
  }
  std::string owned;
  for (const auto& [p, t] : tasks_) owned += (owned.empty() ? "" : ",") + std::to_string(p);
  log::info("stage." + options_.name, "assigned " + std::to_string(partitions.size()) +
                                          " partitions, " + std::to_string(tasks_.size()) +
                                          " tasks [" + owned + "]");
  return starts;
}

void StageRunner::onRevoked(const std::vector<kafka::TopicPartition>& partitions) {
  std::set<int32_t> numbers;
  for (const auto& tp : partitions) numbers.insert(tp.partition);
  std::vector<Task*> revoked;
  for (int32_t p : numbers) {
    auto it = tasks_.find(p);
    if (it != tasks_.end()) revoked.push_back(&it->second);
  }
  // Cycles end durable, so a revoked task has nothing in flight: commit and forget it.
  commitPositions(revoked, true);
  std::string gone;
  for (const Task* t : revoked) gone += (gone.empty() ? "" : ",") + std::to_string(t->partition);
  log::info("stage." + options_.name, "revoked tasks [" + gone + "]");
  for (int32_t p : numbers) {
    if (tasks_.erase(p)) processor_.close(p);
    for (const std::string& topic : options_.input_topics) probe_.partitionRevoked(topic, p);
  }
  probe_.partitionsAssigned(tasks_.size());
}

Status StageRunner::openTask(int32_t partition) {
  auto started = std::chrono::steady_clock::now();
  Task& task = tasks_[partition];
  task = Task();
  task.partition = partition;
  SB_RETURN_IF_ERROR(restoreFromChangelog(task));
  SB_RETURN_IF_ERROR(resendPendingBatch(task));
  SB_RETURN_IF_ERROR(loadTask(task));
  SB_RETURN_IF_ERROR(recoverOutbox(task));
  TaskContextImpl ctx(task, *store_, options_.clock, options_.name, options_.dead_letter_topic,
                      options_.dead_letter_source);
  ctx.setInput(nullptr);
  processor_.open(ctx);
  task.commit_pending = true;
  auto elapsed = std::chrono::steady_clock::now() - started;
  log::info(
      "stage." + options_.name,
      "task " + std::to_string(partition) + " ready at batch " + std::to_string(task.seq) + " in " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()) +
          " ms");
  return okStatus();
}

Status StageRunner::restoreFromChangelog(Task& task) {
  auto started = std::chrono::steady_clock::now();
  const int32_t p = task.partition;
  uint64_t applied = 0;
  for (int pass = 0;; ++pass) {
    SB_ASSIGN_OR_RETURN(auto head, store_->get(p, keys::kHead));
    SB_ASSIGN_OR_RETURN(auto next, store_->get(p, keys::kNext));
    std::string current = head.value_or("");
    int64_t from = next ? parseInt(*next) : 0;
    bool diverged = false;
    bool skipped_unchained = false;
    std::vector<v1::ChangelogBatch> parts;  // snapshot parts being collected
    Status read = reader_->readToEnd(
        options_.changelog_topic, p, from,
        [&](const rd_kafka_message_t& m) -> Status {
          if (diverged) return okStatus();
          v1::ChangelogBatch batch;
          if (!batch.ParseFromArray(m.payload, static_cast<int>(m.len))) {
            return makeError(Errc::kCorruptState,
                             "undecodable changelog record at offset " + std::to_string(m.offset));
          }
          if (batch.snapshot() && batch.snapshot_parts() > 1) {
            if (batch.snapshot_part() == 0) parts.clear();
            if (!parts.empty() && parts.front().batch_id() != batch.batch_id()) parts.clear();
            if (parts.size() != batch.snapshot_part()) return okStatus();  // incomplete: skip
            parts.push_back(std::move(batch));
            if (parts.size() < parts.front().snapshot_parts()) return okStatus();
          } else {
            parts.clear();
            parts.push_back(std::move(batch));
          }
          const v1::ChangelogBatch& first = parts.front();
          if (first.batch_id() == current) {
            // Our own batch, acknowledged before we could record it (or a repeated record):
            // it is in the changelog, so it is no longer pending.
            state::WriteSet acknowledged = {
                {std::string(keys::kNext), std::to_string(m.offset + 1)}};
            SB_RETURN_IF_ERROR(
                store_->scan(p, keys::kPendingBatch, [&](std::string_view k, std::string_view) {
                  acknowledged.emplace(std::string(k), std::nullopt);
                }));
            SB_RETURN_IF_ERROR(store_->write(p, acknowledged));
          } else if (first.prev_batch_id() == current || (current.empty() && first.snapshot())) {
            SB_RETURN_IF_ERROR(applyBatch(*store_, p, parts, m.offset + 1, m.len));
            current = first.batch_id();
            ++applied;
          } else if (current.empty()) {
            // No local state, and this batch continues a chain whose start the broker no
            // longer keeps: wait for the next snapshot.
            skipped_unchained = true;
          } else {
            diverged = true;
          }
          parts.clear();
          return okStatus();
        },
        std::chrono::milliseconds(120000));
    SB_RETURN_IF_ERROR(read);
    if (!diverged) {
      if (skipped_unchained && current.empty()) {
        return makeError(Errc::kCorruptState,
                         "changelog " + options_.changelog_topic + "/" + std::to_string(p) +
                             " lost its oldest records and holds no complete snapshot; raise its "
                             "retention or lower snapshot_every_bytes");
      }
      break;
    }
    if (pass > 0) {
      // Even a fresh restore found a batch that does not continue the chain: two writers
      // forked the changelog (a zombie owner). Routing on either branch could repeat or lose
      // work, so refuse and say so.
      return makeError(Errc::kCorruptState,
                       "changelog " + options_.changelog_topic + "/" + std::to_string(p) +
                           " is forked (a batch does not follow its predecessor); inspect it "
                           "before restarting this stage");
    }
    // Another process continued the chain from an older batch than ours: our local state
    // (and its unacknowledged batch, never sent) is not the truth. Start over from Kafka.
    log::warn("stage." + options_.name,
              "task " + std::to_string(p) +
                  ": local state diverged from the changelog, restoring afresh");
    SB_RETURN_IF_ERROR(store_->write(p, {}, /*clear_first=*/true));
  }
  if (applied > 0) {
    // Another owner continued the chain after our last batch: it restored (and settled) the
    // state the changelog had, so what we acknowledged locally but never sent is moot.
    state::WriteSet stale;
    SB_RETURN_IF_ERROR(store_->scan(p, keys::kCarry, [&](std::string_view k, std::string_view) {
      stale.emplace(std::string(k), std::nullopt);
    }));
    if (!stale.empty()) SB_RETURN_IF_ERROR(store_->write(p, stale));
  }
  probe_.restoreCompleted(std::chrono::steady_clock::now() - started, applied);
  return okStatus();
}

Status StageRunner::resendPendingBatch(Task& task) {
  const int32_t p = task.partition;
  std::vector<std::pair<std::string, std::string>> pending;
  SB_RETURN_IF_ERROR(
      store_->scan(p, keys::kPendingBatch, [&](std::string_view k, std::string_view v) {
        pending.emplace_back(std::string(k), std::string(v));
      }));
  if (pending.empty()) return okStatus();
  SB_ASSIGN_OR_RETURN(auto head, store_->get(p, keys::kHead));
  SB_ASSIGN_OR_RETURN(auto next, store_->get(p, keys::kNext));
  v1::ChangelogBatch first_part;
  if (!first_part.ParseFromString(pending.front().second) ||
      first_part.batch_id() != head.value_or("")) {
    return makeError(Errc::kCorruptState,
                     "task " + std::to_string(p) + ": pending changelog batch is not the head");
  }
  // The restore above read the changelog to its end and would have recognised a complete
  // pending batch. What is left is a batch never sent, or a snapshot only some of whose parts
  // arrived: send all of it again (the restorer assembles parts from part 0 on).
  {
    latch_.reset(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) {
      kafka::OutgoingRecord r;
      r.topic = options_.changelog_topic;
      r.partition = p;
      r.key = std::to_string(p);
      r.value = pending[i].second;
      r.event_id = head.value_or("");
      r.event_type = "switchboard.v1.ChangelogBatch";
      if (!producer_.produce(r, latch_.slot(i))) latch_.abandon(i);
    }
    latch_.wait();
    int64_t last = -1;
    for (size_t i = 0; i < pending.size(); ++i) {
      const auto& report = latch_.slot(i)->report();
      if (!report.ok()) {
        return kafka::kafkaError(report.err, "re-sending the pending changelog batch");
      }
      last = std::max(last, report.offset);
    }
    next = std::to_string(last + 1);
    log::info(
        "stage." + options_.name,
        "task " + std::to_string(p) + ": re-sent pending changelog batch " + head.value_or(""));
  }
  state::WriteSet clear;
  for (const auto& [k, v] : pending) clear.emplace(k, std::nullopt);
  if (next) clear.emplace(std::string(keys::kNext), *next);
  return store_->write(p, clear);
}

Status StageRunner::loadTask(Task& task) {
  const int32_t p = task.partition;
  SB_ASSIGN_OR_RETURN(auto head, store_->get(p, keys::kHead));
  SB_ASSIGN_OR_RETURN(auto seq, store_->get(p, keys::kSeq));
  SB_ASSIGN_OR_RETURN(auto next, store_->get(p, keys::kNext));
  task.head = head.value_or("");
  task.seq = seq ? static_cast<uint64_t>(parseInt(*seq)) : 0;
  task.changelog_next = next ? parseInt(*next) : 0;
  // What the previous incarnation acknowledged locally but never got into a batch.
  SB_RETURN_IF_ERROR(task.loadCarry(*store_));
  // The changelog distance to the newest snapshot, whoever wrote the batches since: a snapshot
  // follows every snapshot_every_bytes even when the partition changes hands more often than
  // one owner writes that much (restore time stays bounded, and on a broker that keeps little,
  // such as the embedded cluster, a complete snapshot stays within what it keeps). A new
  // partition starts at 0; state from before the count existed gets a fresh snapshot soon.
  SB_ASSIGN_OR_RETURN(auto since, store_->get(p, keys::kSinceSnapshot));
  if (since) {
    task.bytes_since_snapshot = static_cast<size_t>(parseInt(*since));
  } else {
    task.bytes_since_snapshot = task.head.empty() ? 0 : options_.snapshot_every_bytes / 2;
  }
  SB_RETURN_IF_ERROR(store_->scan(p, keys::kPosition, [&](std::string_view k, std::string_view v) {
    task.positions.emplace(std::string(k.substr(keys::kPosition.size())), parseInt(v));
  }));
  SB_RETURN_IF_ERROR(
      store_->scan(p, keys::kOutputMark, [&](std::string_view k, std::string_view v) {
        std::string_view rest = k.substr(keys::kOutputMark.size());
        auto slash = rest.rfind('/');
        if (slash == std::string_view::npos) return;
        task.output_marks[{std::string(rest.substr(0, slash)),
                           static_cast<int32_t>(parseInt(rest.substr(slash + 1)))}] = parseInt(v);
      }));
  return okStatus();
}

Status StageRunner::recoverOutbox(Task& task) {
  const int32_t p = task.partition;
  std::vector<std::pair<std::string, v1::PendingOutput>> outbox;
  Status scanned = store_->scan(p, keys::kOutbox, [&](std::string_view k, std::string_view v) {
    v1::PendingOutput out;
    if (out.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
      outbox.emplace_back(std::string(k), std::move(out));
    }
  });
  SB_RETURN_IF_ERROR(scanned);
  if (outbox.empty()) return okStatus();

  for (int attempt = 0;; ++attempt) {
    // Which of them already reached their partition? Look from the saved mark on.
    std::map<std::pair<std::string, int32_t>, std::set<std::string>> present;
    for (const auto& [k, out] : outbox) present[{out.topic(), out.partition()}];
    for (auto& entry : present) {
      const auto& tp = entry.first;
      std::set<std::string>& ids = entry.second;  // a named reference: lambdas may capture it
      auto mark = task.output_marks.find(tp);
      int64_t from = mark != task.output_marks.end() ? mark->second : 0;
      SB_RETURN_IF_ERROR(reader_->readToEnd(
          tp.first, tp.second, from,
          [&ids](const rd_kafka_message_t& m) -> Status {
            if (auto id = kafka::messageHeader(&m, kafka::kIdHeader)) ids.emplace(*id);
            return okStatus();
          },
          options_.kafka_timeout * 6));
    }
    std::vector<const v1::PendingOutput*> missing;
    for (const auto& [k, out] : outbox) {
      if (!present[{out.topic(), out.partition()}].count(out.event_id())) missing.push_back(&out);
    }
    latch_.reset(missing.size());
    for (size_t i = 0; i < missing.size(); ++i) {
      kafka::OutgoingRecord r;
      r.topic = missing[i]->topic();
      r.partition = missing[i]->partition();
      r.key = missing[i]->key();
      r.value = missing[i]->value();
      r.event_id = missing[i]->event_id();
      r.event_type = missing[i]->event_type();
      if (!producer_.produce(r, latch_.slot(i))) latch_.abandon(i);
    }
    latch_.wait();
    bool all_ok = true;
    const bool trace = log::enabled(log::Level::kDebug);
    std::string line;
    for (const auto& [tp, ids] : present) {
      if (!trace) break;
      auto mark = task.output_marks.find(tp);
      line += " read " + tp.first + "/" + std::to_string(tp.second) + " from " +
              std::to_string(mark != task.output_marks.end() ? mark->second : 0) + ": " +
              std::to_string(ids.size()) + " ids;";
    }
    for (size_t i = 0; i < missing.size(); ++i) {
      const auto& report = latch_.slot(i)->report();
      if (trace) {
        line += " " + missing[i]->event_id() + "@" + missing[i]->topic() + "/" +
                std::to_string(missing[i]->partition()) + ":" +
                (report.ok() ? std::to_string(report.offset) : "failed");
      }
      if (!report.ok()) {
        all_ok = false;
        continue;
      }
      auto& mark = task.output_marks[{missing[i]->topic(), missing[i]->partition()}];
      mark = std::max(mark, report.offset + 1);
    }
    if (trace) {
      log::debug("stage." + options_.name,
                 "task " + std::to_string(p) + " batch " + task.head + " re-sent:" + line);
    }
    if (all_ok) {
      probe_.outputsRecovered(missing.size(), outbox.size() - missing.size());
      {
        log::info("stage." + options_.name,
                  "task " + std::to_string(p) + ": recovered outbox, re-sent " +
                      std::to_string(missing.size()) + ", already present " +
                      std::to_string(outbox.size() - missing.size()));
      }
      break;
    }
    probe_.kafkaRetry();
    if (!waitBeforeRetry(attempt)) {
      return makeError(Errc::kUnavailable, "stopping with unacknowledged outputs");
    }
  }
  state::WriteSet clear;
  for (const auto& [k, out] : outbox) task.carryWrite(clear, k, std::nullopt);
  for (const auto& [tp, mark] : task.output_marks) {
    task.carryWrite(clear, keys::outputMark(tp.first, tp.second), std::to_string(mark));
  }
  return store_->write(p, clear);
}

Status StageRunner::ensureOutputMark(Task& task, const std::string& topic, int32_t partition) {
  auto key = std::make_pair(topic, partition);
  if (task.output_marks.count(key)) return okStatus();
  SB_ASSIGN_OR_RETURN(kafka::Watermarks w,
                      reader_->watermarks(topic, partition, options_.kafka_timeout));
  task.output_marks[key] = w.high;
  // Saved with the batch that first writes there, before that batch's outputs are sent.
  task.writes.insert_or_assign(keys::outputMark(topic, partition), std::to_string(w.high));
  return okStatus();
}

}  // namespace switchboard::stage
