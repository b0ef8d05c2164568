// Waiting for a condition in integration tests: poll it until true or the deadline passes.
// No fixed sleeps: the condition decides.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace switchboard::testing {

inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30),
                       std::chrono::milliseconds interval = std::chrono::milliseconds(50)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

}  // namespace switchboard::testing
