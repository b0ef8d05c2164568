#include "router/dispatch/inline_vector.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::dispatch {
namespace {

template <size_t N>
std::vector<int> contents(const InlineVector<int, N>& v) {
  return std::vector<int>(v.begin(), v.end());
}

TEST(InlineVectorTest, KeepsOrderAcrossTheSpill) {
  InlineVector<int, 3> v;
  EXPECT_TRUE(v.empty());
  for (int i = 0; i < 5; ++i) v.push_back(i);  // spills at the 4th
  EXPECT_EQ(contents(v), (std::vector<int>{0, 1, 2, 3, 4}));
  v.erase(v.begin() + 1);
  EXPECT_EQ(contents(v), (std::vector<int>{0, 2, 3, 4}));
  v.erase(v.end() - 1);
  v.erase(v.begin());
  EXPECT_EQ(contents(v), (std::vector<int>{2, 3}));
  EXPECT_EQ(v[1], 3);
}

// Random pushes and erases, inline and spilled, against a std::vector.
TEST(InlineVectorTest, BehavesLikeAVector) {
  std::mt19937 rng(7);
  InlineVector<int, 4> v;
  std::vector<int> model;
  for (int step = 0; step < 5'000; ++step) {
    if (model.empty() || rng() % 3 != 0) {
      v.push_back(step);
      model.push_back(step);
    } else {
      const size_t at = rng() % model.size();
      v.erase(v.begin() + at);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(at));
    }
    ASSERT_EQ(v.size(), model.size());
    ASSERT_TRUE(std::equal(v.begin(), v.end(), model.begin(), model.end())) << "step " << step;
  }
}

}  // namespace
}  // namespace switchboard::dispatch
