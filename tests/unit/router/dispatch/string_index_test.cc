#include "router/dispatch/string_index.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::dispatch {
namespace {

constexpr uint32_t kTag = 1u << 31;
bool tagged(uint32_t handle) {
  return (handle & kTag) != 0;
}
bool untagged(uint32_t handle) {
  return !tagged(handle);
}

// One key held once per kind (the engine's held and finished ids): findIf() tells them apart.
TEST(StringIndexTest, FindIfSeparatesKindsOfOneKey) {
  StringIndex index;
  const std::string held = "wi-0001";
  const std::string finished = "wi-0001";  // the same characters elsewhere
  const uint64_t hash = StringIndex::hashOf(held);
  index.insert(held, hash, 7);
  EXPECT_EQ(index.findIf(held, hash, tagged), StringIndex::kNone);
  index.insert(finished, hash, kTag | 3);
  EXPECT_EQ(index.findIf(held, hash, untagged), 7u);
  EXPECT_EQ(index.findIf(held, hash, tagged), kTag | 3);
  EXPECT_EQ(index.size(), 2u);
}

// rekey() keeps the entry in its slot with a new key pointer and handle; others are untouched.
TEST(StringIndexTest, RekeyTurnsAnEntryIntoAnother) {
  StringIndex index;
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("wi-" + std::to_string(i));
  for (int i = 0; i < 200; ++i) {
    index.insert(keys[i], StringIndex::hashOf(keys[i]), static_cast<uint32_t>(i));
  }
  const std::string copy = keys[42];
  const uint64_t hash = StringIndex::hashOf(copy);
  EXPECT_FALSE(index.rekey(hash, 43, copy, kTag | 1));  // (hash, handle) must match
  ASSERT_TRUE(index.rekey(hash, 42, copy, kTag | 1));
  keys[42] = "gone";  // the index now points at `copy`
  EXPECT_EQ(index.findIf(copy, hash, untagged), StringIndex::kNone);
  EXPECT_EQ(index.findIf(copy, hash, tagged), kTag | 1);
  EXPECT_EQ(index.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    if (i == 42) continue;
    EXPECT_EQ(index.find(keys[i]), static_cast<uint32_t>(i)) << keys[i];
  }
  EXPECT_TRUE(index.eraseHandle(hash, kTag | 1));
  EXPECT_EQ(index.find(copy), StringIndex::kNone);
}

}  // namespace
}  // namespace switchboard::dispatch
