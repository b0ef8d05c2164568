#include "core/ids.h"

#include <set>

#include <gtest/gtest.h>

#include "core/http/media_type.h"

namespace switchboard {
namespace {

TEST(IdsTest, RandomUuidIsVersion4) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = randomUuid();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[18], '-');
    EXPECT_EQ(id[23], '-');
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(IdsTest, RandomHexHasTheAskedLength) {
  EXPECT_EQ(randomHex(32).size(), 32u);
  EXPECT_EQ(randomHex(7).size(), 7u);
  EXPECT_EQ(randomHex(100).size(), 100u);
  EXPECT_EQ(randomHex(32).find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(IdsTest, ParsesTraceparent) {
  EXPECT_EQ(traceIdFromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(traceIdFromTraceparent(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 "),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_FALSE(traceIdFromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"));
  EXPECT_FALSE(traceIdFromTraceparent("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"));
  EXPECT_FALSE(traceIdFromTraceparent(""));
  std::string fresh = traceIdOrRandom(std::nullopt);
  EXPECT_EQ(fresh.size(), 32u);
}

TEST(IdsTest, SetsTimestamps) {
  google::protobuf::Timestamp ts;
  setTimestamp(std::chrono::system_clock::time_point(std::chrono::milliseconds(1500)), &ts);
  EXPECT_EQ(ts.seconds(), 1);
  EXPECT_EQ(ts.nanos(), 500'000'000);
}

TEST(MediaTypeTest, MatchesIgnoringCaseAndUtf8Charset) {
  EXPECT_TRUE(http::isMediaType("application/json", "application/json"));
  EXPECT_TRUE(http::isMediaType(" Application/JSON ; charset=utf-8", "application/json"));
  EXPECT_TRUE(http::isMediaType("application/json;charset=\"UTF-8\";foo=bar", "application/json"));
  EXPECT_FALSE(http::isMediaType(std::nullopt, "application/json"));
  EXPECT_FALSE(http::isMediaType("application/jsonp", "application/json"));
  EXPECT_FALSE(http::isMediaType("text/json", "application/json"));
  EXPECT_FALSE(http::isMediaType("application/json; charset=latin1", "application/json"));
}

}  // namespace
}  // namespace switchboard
