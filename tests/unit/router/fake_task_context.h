// An in-memory stage task for stage processor tests: state is a sorted map (writes visible at
// once, as the runner's read-your-writes view), outputs and rejects are recorded, the clock is
// a field the test moves. Single-threaded, like the runner's calls.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/stage/stage_processor.h"

namespace switchboard::router::testing {

class FakeTaskContext : public stage::TaskContext {
 public:
  explicit FakeTaskContext(int32_t partition = 0) : partition_(partition) {}

  int32_t partition() const override { return partition_; }
  std::optional<std::string> get(std::string_view key) override {
    auto it = state.find(key);
    if (it == state.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override {
    state.insert_or_assign(std::string(key), std::string(value));
  }
  void erase(std::string_view key) override {
    if (auto it = state.find(key); it != state.end()) state.erase(it);
  }
  void scan(std::string_view prefix,
            const std::function<void(std::string_view, std::string_view)>& visit) override {
    for (auto it = state.lower_bound(prefix); it != state.end() && it->first.starts_with(prefix);
         ++it) {
      visit(it->first, it->second);
    }
  }
  void emit(stage::Output output) override { outputs.push_back(std::move(output)); }
  void reject(std::string_view reason, std::string_view detail) override {
    rejects.emplace_back(std::string(reason), std::string(detail));
  }
  std::chrono::system_clock::time_point now() const override { return clock; }

  // Outputs emitted since the last call.
  std::vector<stage::Output> take() { return std::exchange(outputs, {}); }
  std::vector<std::string> keys() const {
    std::vector<std::string> result;
    for (const auto& [key, value] : state) result.push_back(key);
    return result;
  }

  std::map<std::string, std::string, std::less<>> state;
  std::vector<stage::Output> outputs;
  std::vector<std::pair<std::string, std::string>> rejects;
  std::chrono::system_clock::time_point clock;

 private:
  int32_t partition_;
};

}  // namespace switchboard::router::testing
