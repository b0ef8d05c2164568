#include "core/ids.h"

#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

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

// Random bytes come from a per-thread buffer refilled 4 KiB at a time: ids stay unique across
// refills and across threads.
TEST(IdsTest, RandomIdsAreUniqueAcrossRefillsAndThreads) {
  std::mutex mu;
  std::set<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 1000; ++i) mine.push_back(randomHex(32));  // 16 KB: 4 refills
      std::lock_guard<std::mutex> lock(mu);
      seen.insert(mine.begin(), mine.end());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(seen.size(), 4000u);
}

// A child process must not hand out the ids its parent's buffer still holds.
TEST(IdsTest, ForkedChildDrawsOtherIds) {
  randomHex(32);  // the buffer is filled
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string id = randomHex(32);
    ssize_t written = write(pipe_fds[1], id.data(), id.size());
    _exit(written == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  std::string parent_id = randomHex(32);
  char buffer[32];
  ssize_t got = read(pipe_fds[0], buffer, sizeof buffer);
  int status = 0;
  waitpid(child, &status, 0);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  ASSERT_EQ(got, 32);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(std::string(buffer, 32), parent_id);
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
