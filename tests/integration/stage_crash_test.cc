// Kills the router process (SIGKILL, through SWITCHBOARD_CRASH_AT) at each point of a stage's
// cycle, restarts it, and shows that the work item was neither lost nor duplicated: exactly
// one WorkItem per customer message and exactly one Assignment per work item on the topics,
// as an ordinary consumer reads them.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "switchboard/v1/assignment.pb.h"
#include "switchboard/v1/work_item.pb.h"
#include "tests/integration/support/child_process.h"
#include "tests/integration/support/group_offsets.h"
#include "tests/integration/support/pipeline_fixture.h"
#include "tests/integration/support/topic_contents.h"
#include "tests/integration/support/wait.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::PipelineFixture;

// `router` serves the agent API, which does not start without a token.
constexpr char kAgentToken[] = "crash-test-agent-token";

struct CrashCase {
  std::string stage;
  std::string point;
  // What the restarted stage's recovery must log: proof that the crash left work pending
  // and that recovery, not luck, settled it. Empty: nothing may be pending.
  std::string recovery;
};

void PrintTo(const CrashCase& c, std::ostream* os) {
  *os << c.stage << ":" << c.point;
}

std::string caseName(const ::testing::TestParamInfo<CrashCase>& info) {
  return info.param.stage + "_" + info.param.point;
}

class StageCrashTest : public ::testing::TestWithParam<CrashCase> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sb-crash-" + std::to_string(::getpid()) + "-" + caseName({GetParam(), 0}));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure() && std::getenv("SB_KEEP_LOGS") == nullptr) std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> routerArgs() {
    std::vector<std::string> args = {
        SWITCHBOARD_BINARY, "router",
        "--brokers",        fixture_.brokers(),
        "--partitions",     std::to_string(PipelineFixture::kPartitions),
        "--state-dir",      (dir_ / "state").string(),
        "--http-address",   "127.0.0.1",
        "--http-port",      "0"};
    // SB_CHILD_DEBUG=cgrp,fetch turns on librdkafka's debug log in the child, for diagnosis.
    if (const char* debug = std::getenv("SB_CHILD_DEBUG")) {
      args.push_back("--kafka-property");
      args.push_back(std::string("debug=") + debug);
    }
    return args;
  }

  bool settled() {
    const auto& t = fixture_.topics();
    int32_t n = PipelineFixture::kPartitions;
    return testing::groupLag(fixture_.settings(), "switchboard-identity", t.inbound, n) == 0 &&
           testing::groupLag(fixture_.settings(), "switchboard-context", t.customer_messages, n) ==
               0 &&
           testing::groupLag(fixture_.settings(), "switchboard-dispatch", t.work_items, n) == 0 &&
           testing::groupLag(fixture_.settings(), "switchboard-dispatch", t.agent_events, n) == 0;
  }

  PipelineFixture fixture_;
  std::filesystem::path dir_;
};

TEST_P(StageCrashTest, RestartedStageNeitherLosesNorDuplicatesWork) {
  const CrashCase& c = GetParam();
  fixture_.announceAgent("alice", 5);
  fixture_.sendChat("v-1", "m-1", "My order never arrived");

  {
    ChildProcess doomed(routerArgs(),
                        {{"SWITCHBOARD_CRASH_AT", c.stage + ":" + c.point},
                         {"SWITCHBOARD_AGENT_API_TOKEN", kAgentToken}},
                        (dir_ / "first.log").string());
    auto status = doomed.waitExit(std::chrono::seconds(90));
    ASSERT_TRUE(status.has_value()) << "the crash point was never reached:\n" << doomed.log();
    ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << doomed.log();
  }

  ChildProcess restarted(routerArgs(), {{"SWITCHBOARD_AGENT_API_TOKEN", kAgentToken}},
                         (dir_ / "second.log").string());
  // A second customer after the restart proves the restarted process is past recovery.
  fixture_.sendChat("v-2", "m-1", "Where is my refund?");
  auto assignments = [&] {
    return testing::readTopic(fixture_.settings(), fixture_.topics().assignments,
                              PipelineFixture::kPartitions);
  };
  bool done = testing::eventually([&] { return assignments().size() >= 2 && settled(); },
                                  std::chrono::seconds(120), std::chrono::milliseconds(250));
  restarted.signal(SIGTERM);
  auto exit = restarted.waitExit(std::chrono::seconds(30));
  ASSERT_TRUE(done) << restarted.log();
  ASSERT_TRUE(exit && WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << restarted.log();
  // Recovery lines of the crashed stage in the restarted process's log.
  std::string recovered;
  std::istringstream lines(restarted.log());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("stage." + c.stage + ": task ") != std::string::npos &&
        line.find("recovered outbox") != std::string::npos) {
      recovered += line + "\n";
    }
  }
  if (c.recovery.empty()) {
    EXPECT_EQ(recovered, "") << "nothing should have been pending";
  } else {
    EXPECT_NE(recovered.find(c.recovery), std::string::npos)
        << "expected '" << c.recovery << "', got:\n"
        << recovered;
  }

  auto work_items = testing::readTopic(fixture_.settings(), fixture_.topics().work_items,
                                       PipelineFixture::kPartitions);
  std::map<std::string, int> items_per_message;
  for (const auto& r : work_items) {
    v1::WorkItem item;
    ASSERT_TRUE(item.ParseFromString(r.value));
    ++items_per_message[item.envelope().idempotency_key()];
  }
  EXPECT_EQ(items_per_message,
            (std::map<std::string, int>{{"chat:v-1:m-1", 1}, {"chat:v-2:m-1", 1}}));

  std::map<std::string, int> assignments_per_item;
  for (const auto& r : assignments()) {
    v1::Assignment a;
    ASSERT_TRUE(a.ParseFromString(r.value));
    EXPECT_EQ(a.agent_id(), "alice");
    ++assignments_per_item[a.work_item_id()];
  }
  ASSERT_EQ(assignments_per_item.size(), 2u);
  for (const auto& [item, count] : assignments_per_item) EXPECT_EQ(count, 1) << item;
}

INSTANTIATE_TEST_SUITE_P(
    CrashPoints, StageCrashTest,
    ::testing::Values(
        CrashCase{"identity", "after_state_saved",
                  "recovered outbox, re-sent 1, already present 0"},
        CrashCase{"identity", "after_changelog", "recovered outbox, re-sent 1, already present 0"},
        CrashCase{"identity", "after_outputs", "recovered outbox, re-sent 0, already present 1"},
        CrashCase{"identity", "after_state_cleared", ""},
        CrashCase{"context", "after_state_saved", "recovered outbox, re-sent 1, already present 0"},
        CrashCase{"context", "after_changelog", "recovered outbox, re-sent 1, already present 0"},
        CrashCase{"context", "after_outputs", "recovered outbox, re-sent 0, already present 1"},
        CrashCase{"context", "after_state_cleared", ""},
        // Dispatch emits two records per decision: the Assignment and the CustomerEvent that
        // tells the context stage who served the customer.
        CrashCase{"dispatch", "after_state_saved",
                  "recovered outbox, re-sent 2, already present 0"},
        CrashCase{"dispatch", "after_changelog", "recovered outbox, re-sent 2, already present 0"},
        CrashCase{"dispatch", "after_outputs", "recovered outbox, re-sent 0, already present 2"},
        CrashCase{"dispatch", "after_state_cleared", ""},
        CrashCase{"dispatch", "after_commit", ""}),
    caseName);

}  // namespace
}  // namespace switchboard
