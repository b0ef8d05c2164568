#include "core/state/state_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace switchboard::state {
namespace {

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("sb-state-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto opened = StateStore::open(dir_.string(), {});
    ASSERT_TRUE(opened) << opened.error().describe();
    store_ = std::move(*opened);
  }
  std::map<std::string, std::string> contents(int32_t partition, std::string_view prefix = "") {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(store_->scan(partition, prefix,
                             [&](std::string_view k, std::string_view v) { out.emplace(k, v); }));
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(StateStoreTest, WritesAreAtomicPerPartitionAndSurviveReopen) {
  ASSERT_TRUE(store_->write(1, {{"a", "1"}, {"b", "2"}}));
  ASSERT_TRUE(store_->write(2, {{"a", "other"}}));
  ASSERT_TRUE(store_->write(1, {{"b", std::nullopt}, {"c", "3"}}));
  reopen();
  EXPECT_EQ(contents(1), (std::map<std::string, std::string>{{"a", "1"}, {"c", "3"}}));
  EXPECT_EQ(contents(2), (std::map<std::string, std::string>{{"a", "other"}}));
  auto missing = store_->get(1, "b");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_F(StateStoreTest, ScanStopsAtThePrefixAndThePartition) {
  ASSERT_TRUE(store_->write(3, {{"s/x", "1"}, {"s/y", "2"}, {"t/z", "3"}}));
  ASSERT_TRUE(store_->write(4, {{"s/w", "4"}}));
  EXPECT_EQ(contents(3, "s/"), (std::map<std::string, std::string>{{"s/x", "1"}, {"s/y", "2"}}));
}

TEST_F(StateStoreTest, ClearFirstReplacesOnePartitionOnly) {
  ASSERT_TRUE(store_->write(5, {{"old", "1"}, {"keep?", "no"}}));
  ASSERT_TRUE(store_->write(6, {{"neighbour", "stays"}}));
  ASSERT_TRUE(store_->write(5, {{"new", "2"}}, /*clear_first=*/true));
  EXPECT_EQ(contents(5), (std::map<std::string, std::string>{{"new", "2"}}));
  EXPECT_EQ(contents(6), (std::map<std::string, std::string>{{"neighbour", "stays"}}));
}

TEST_F(StateStoreTest, OpenFailsClearlyOnAnUnusableDirectory) {
  auto opened = StateStore::open("/proc/self/cannot-create-here", {});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Errc::kIo);
}

}  // namespace
}  // namespace switchboard::state
