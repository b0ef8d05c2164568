#include "core/result.h"

#include <gtest/gtest.h>

namespace switchboard {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return makeError(Errc::kInvalidArgument, "not positive");
  return v;
}

Result<int> doubled(int v) {
  SB_ASSIGN_OR_RETURN(int x, parsePositive(v));
  return 2 * x;
}

TEST(ResultTest, PropagatesValueAndError) {
  ASSERT_TRUE(doubled(4).has_value());
  EXPECT_EQ(*doubled(4), 8);
  auto failed = doubled(-1);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(failed.error().describe(), "invalid_argument: not positive");
}

TEST(ResultTest, ClassifiesErrors) {
  EXPECT_EQ(classify(Errc::kUnavailable), ErrorClass::kRetryable);
  EXPECT_EQ(classify(Errc::kMalformedInput), ErrorClass::kPermanent);
  EXPECT_EQ(classify(Errc::kCorruptState), ErrorClass::kBug);
}

}  // namespace
}  // namespace switchboard
