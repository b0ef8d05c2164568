#include "core/malloc_huge_pages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchboard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MallocHugePagesTest, FindsTheTunableAmongOthersAndTakesTheLastOne) {
  EXPECT_EQ(hugetlbTunable("glibc.malloc.hugetlb=1"), "1");
  EXPECT_EQ(hugetlbTunable("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2"), "2");
  EXPECT_EQ(hugetlbTunable("glibc.malloc.hugetlb=1:glibc.malloc.hugetlb=0"), "0");
  EXPECT_EQ(hugetlbTunable("glibc.malloc.arena_max=2"), "");
  EXPECT_EQ(hugetlbTunable(""), "");
  EXPECT_EQ(hugetlbTunable("xglibc.malloc.hugetlb=1"), "");
}

TEST(MallocHugePagesTest, ReadsTheKernelsSelectedMode) {
  EXPECT_EQ(selectedThpMode("always [madvise] never\n"), "madvise");
  EXPECT_EQ(selectedThpMode("[always] madvise never\n"), "always");
  EXPECT_EQ(selectedThpMode("always madvise [never]\n"), "never");
  EXPECT_EQ(selectedThpMode(""), "");
}

TEST(MallocHugePagesTest, EffectiveOnlyWhereTheKernelAndTheTunableAgree) {
  EXPECT_TRUE((MallocHugePages{"1", "madvise"}.effective()));
  EXPECT_TRUE((MallocHugePages{"", "always"}.effective()));
  EXPECT_TRUE((MallocHugePages{"2", "never"}.effective()));  // explicit pages: not THP
  EXPECT_FALSE((MallocHugePages{"", "madvise"}.effective()));
  EXPECT_FALSE((MallocHugePages{"0", "madvise"}.effective()));
  EXPECT_FALSE((MallocHugePages{"1", "never"}.effective()));
}

TEST(MallocHugePagesTest, SaysWhatToChangeWhenNotInForce) {
  EXPECT_THAT((MallocHugePages{"1", "madvise"}.describe()), HasSubstr("malloc on huge pages"));
  const std::string unset = MallocHugePages{"", "madvise"}.describe();
  EXPECT_THAT(unset, HasSubstr("4 KiB pages"));
  EXPECT_THAT(unset, HasSubstr("GLIBC_TUNABLES=glibc.malloc.hugetlb=1"));
  const std::string never = MallocHugePages{"1", "never"}.describe();
  EXPECT_THAT(never, HasSubstr("offers no transparent huge pages"));
  EXPECT_THAT(never, Not(HasSubstr("start with")));
}

}  // namespace
}  // namespace switchboard
