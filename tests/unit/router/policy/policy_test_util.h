// Helpers for the routing-policy tests: UTC time points, attribute sets, the worked example.
#pragma once

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "router/policy/filter.h"
#include "router/policy/policy_loader.h"

namespace switchboard::policy::testing {

// A UTC instant: utc(2026, 3, 8, 7, 0) is 2026-03-08T07:00:00Z.
inline TimePoint utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s);
}

// Owns the strings a FlatAttributes points at.
class Attrs {
 public:
  Attrs(std::initializer_list<std::pair<std::string, std::string>> entries)
      : storage_(entries), view_(makeView(storage_)), flat_(view_) {}
  Attrs(const Attrs&) = delete;
  Attrs& operator=(const Attrs&) = delete;
  const Attributes& get() const { return flat_; }
  operator const Attributes&() const { return flat_; }  // NOLINT: test convenience

 private:
  static std::vector<FlatAttributes::Entry> makeView(
      const std::vector<std::pair<std::string, std::string>>& storage) {
    std::vector<FlatAttributes::Entry> view;
    for (const auto& [k, v] : storage) view.emplace_back(k, v);
    return view;
  }

  std::vector<std::pair<std::string, std::string>> storage_;
  std::vector<FlatAttributes::Entry> view_;
  FlatAttributes flat_;
};

// tests/testdata/policy/<name> (SWITCHBOARD_TESTDATA_DIR is set by tests/CMakeLists.txt).
inline std::string testdataPath(const std::string& name) {
  return (std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / "policy" / name).string();
}

inline Policy examplePolicy() {
  auto policy = loadPolicyFile(testdataPath("example.yaml"));
  if (!policy) throw std::runtime_error(policy.error().message());
  return std::move(*policy);
}

}  // namespace switchboard::policy::testing
