#include "core/stage/task.h"

#include "core/log.h"
#include "core/stage/state_keys.h"
#include "switchboard/v1/dead_letter.pb.h"

namespace switchboard::stage {
namespace {

std::string processorKey(std::string_view key) {
  std::string k(keys::kProcessor);
  k.append(key);
  return k;
}

}  // namespace

std::optional<std::string> TaskContextImpl::get(std::string_view key) {
  std::string k = processorKey(key);
  if (auto it = task_.writes.find(k); it != task_.writes.end()) return it->second;
  auto stored = store_.get(task_.partition, k);
  if (!stored) {
    // A broken local store is not something a processor can handle: surface it loudly.
    log::error("stage", "state read failed: " + stored.error().describe());
    std::abort();
  }
  return *stored;
}

void TaskContextImpl::put(std::string_view key, std::string_view value) {
  task_.writes.insert_or_assign(processorKey(key), std::string(value));
}

void TaskContextImpl::erase(std::string_view key) {
  task_.writes.insert_or_assign(processorKey(key), std::nullopt);
}

void TaskContextImpl::scan(std::string_view prefix,
                           const std::function<void(std::string_view, std::string_view)>& visit) {
  std::string full = processorKey(prefix);
  auto status = store_.scan(task_.partition, full, [&](std::string_view k, std::string_view v) {
    visit(k.substr(keys::kProcessor.size()), v);
  });
  if (!status) {
    log::error("stage", "state scan failed: " + status.error().describe());
    std::abort();
  }
}

void Task::carryWrite(state::WriteSet& local, const std::string& key,
                      const std::optional<std::string>& value) {
  local.insert_or_assign(key, value);
  local.insert_or_assign(keys::carry(key), value ? "=" + *value : std::string("-"));
  carry.insert_or_assign(key, value);
}

void Task::takeCarry() {
  for (auto& [k, v] : carry) {
    writes.insert_or_assign(keys::carry(k), std::nullopt);  // local only: r/clog/
    writes.try_emplace(k, std::move(v));  // a write of this cycle to the same key wins
  }
  carry.clear();
}

Status Task::loadCarry(const state::StateStore& store) {
  carry.clear();
  return store.scan(partition, keys::kCarry, [&](std::string_view k, std::string_view v) {
    std::string key(k.substr(keys::kCarry.size()));
    if (v.starts_with('=')) {
      carry.insert_or_assign(std::move(key), std::string(v.substr(1)));
    } else {
      carry.insert_or_assign(std::move(key), std::nullopt);
    }
  });
}

void TaskContextImpl::emit(Output output) {
  if (output.event_id.empty()) {
    // Deterministic: the same input record always yields the same ids.
    output.event_id.reserve(64);
    output.event_id.append(stage_);
    if (input_ != nullptr) {
      output.event_id.append("-").append(input_->topic);
      output.event_id.append("-").append(std::to_string(input_->partition));
      output.event_id.append("-").append(std::to_string(input_->offset));
    } else {
      // open() and tick() may both emit in one cycle: number by the cycle's outputs so far.
      output.event_id.append("-tick-").append(std::to_string(task_.partition));
      output.event_id.append("-").append(std::to_string(task_.seq + 1));
      output.event_id.append("-").append(std::to_string(task_.outputs.size()));
    }
    if (input_ != nullptr) output.event_id.append("-").append(std::to_string(output_index_));
  }
  ++output_index_;
  task_.outputs.push_back(TaskOutput{std::move(output), -1});
}

void TaskContextImpl::reject(std::string_view reason, std::string_view detail) {
  rejected_ = true;
  reject_reason_.assign(reason);
  v1::DeadLetter dl;
  const std::string& source = dead_letter_source_;
  dl.set_source(source);
  dl.set_reason(std::string(reason));
  dl.set_detail(std::string(detail));
  if (input_ != nullptr) {
    dl.set_payload(std::string(input_->value));
    dl.set_source_topic(std::string(input_->topic));
    dl.set_source_partition(input_->partition);
    dl.set_source_offset(input_->offset);
    (*dl.mutable_attributes())["key"] = std::string(input_->key);
    if (!input_->event_type.empty()) {
      (*dl.mutable_attributes())["type"] = std::string(input_->event_type);
    }
  }
  std::string id = "dl-";
  id.append(stage_);
  if (input_ != nullptr) {
    id.append("-").append(input_->topic).append("-").append(std::to_string(input_->partition));
    id.append("-").append(std::to_string(input_->offset));
  }
  id.append("-").append(std::to_string(output_index_));
  auto* env = dl.mutable_envelope();
  env->set_event_id(id);
  env->set_producer(source);
  auto now = clock_();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  env->mutable_created_at()->set_seconds(secs.count());
  Output out;
  out.topic = dead_letter_topic_;
  out.key = source;
  out.value = dl.SerializeAsString();
  out.event_id = std::move(id);
  out.event_type = "switchboard.v1.DeadLetter";
  ++output_index_;
  task_.outputs.push_back(TaskOutput{std::move(out), -1});
}

}  // namespace switchboard::stage
