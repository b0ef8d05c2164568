#include "router/dispatch/huge_pages.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::dispatch {
namespace {

uintptr_t address(const void* p) {
  return reinterpret_cast<uintptr_t>(p);
}

TEST(HugePagesTest, LargeAllocationsAreMappedOnTwoMebibyteBoundariesAndZeroFilled) {
  const size_t mapped_before = hugeBytesMapped();
  std::vector<uint64_t, HugePageAllocator<uint64_t>> table(kHugeThreshold / sizeof(uint64_t) + 1);
  EXPECT_EQ(address(table.data()) % kHugePage, 0u);
  EXPECT_EQ(hugeBytesMapped() - mapped_before, kHugePage);  // rounded up to one huge page
  for (uint64_t value : table) ASSERT_EQ(value, 0u);
  // Growing moves the contents into a new mapping and unmaps the old one.
  table.front() = 7;
  table.back() = 9;
  table.resize(table.size() * 3);
  EXPECT_EQ(address(table.data()) % kHugePage, 0u);
  EXPECT_EQ(table.front(), 7u);
  EXPECT_EQ(table[kHugeThreshold / sizeof(uint64_t)], 9u);
  decltype(table)().swap(table);  // freed: unmapped
  EXPECT_EQ(hugeBytesMapped(), mapped_before);
}

TEST(HugePagesTest, SmallAllocationsWorkLikeOrdinaryOnes) {
  std::vector<uint64_t, HugePageAllocator<uint64_t>> small(16, 5);
  small.push_back(6);
  EXPECT_EQ(small[15], 5u);
  EXPECT_EQ(small[16], 6u);
}

TEST(HugePagesTest, SlabHandsOutDistinctAlignedBlocksFromRegionsAfterTheSmallOnes) {
  constexpr size_t kBlock = 100'000;  // not a multiple of the alignment: rounded up
  HugeSlab slab(kBlock, 64, 3);
  std::set<uintptr_t> blocks;
  std::vector<char*> all;
  for (int i = 0; i < 45; ++i) {
    auto* block = static_cast<char*>(slab.allocate());
    ASSERT_EQ(address(block) % 64, 0u);
    ASSERT_TRUE(blocks.insert(address(block)).second);
    std::memset(block, i, kBlock);  // every byte of every block is usable
    all.push_back(block);
  }
  // From the fourth block on they come from 2 MiB regions: the first of a region is aligned
  // to 2 MiB, and 20 blocks of 100,032 bytes fit one region.
  EXPECT_EQ(address(all[3]) % kHugePage, 0u);
  EXPECT_EQ(address(all[4]), address(all[3]) + 100'032);
  EXPECT_EQ(address(all[23]) % kHugePage, 0u);
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i][0], static_cast<char>(i));
    ASSERT_EQ(all[i][kBlock - 1], static_cast<char>(i));
  }
}

TEST(HugePagesTest, BlocksLargerThanAHugePageComeFromOperatorNew) {
  HugeSlab slab(3 * kHugePage, 64, 0);
  auto* block = static_cast<char*>(slab.allocate());
  block[3 * kHugePage - 1] = 1;
  EXPECT_EQ(address(block) % 64, 0u);
}

}  // namespace
}  // namespace switchboard::dispatch
