// The whole pipeline as a user runs it: the real switchboard executable with embedded Kafka
// (`switchboard up`), and the same split into `switchboard kafka`, `connectors` and `router`
// processes. A chat message is POSTed over HTTP, an agent announced through the agent API,
// the Assignment read from the assignments topic with an ordinary Kafka consumer, and the
// counters scraped from /metrics.
#include <signal.h>
#include <sys/wait.h>

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "switchboard/v1/assignment.pb.h"
#include "switchboard/v1/dead_letter.pb.h"
#include "tests/integration/support/child_process.h"
#include "tests/integration/support/group_offsets.h"
#include "tests/integration/support/http_client.h"
#include "tests/integration/support/metrics_scrape.h"
#include "tests/integration/support/switchboard_output.h"
#include "tests/integration/support/topic_contents.h"
#include "tests/integration/support/wait.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::HttpClient;
using testing::httpPort;

constexpr int32_t kPartitions = 2;
constexpr char kHost[] = "127.0.0.1";
constexpr char kAgentToken[] = "e2e-agent-token";
const testing::HttpHeaders kAgentAuth = {{"Authorization", std::string("Bearer ") + kAgentToken}};
const std::string kAssignments = "switchboard.assignments.v1";
const std::string kDeadLetters = "switchboard.dead-letters.v1";
const std::string kWorkItems = "switchboard.work-items.v1";

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sb-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<ChildProcess> spawn(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), SWITCHBOARD_BINARY);
    return std::make_unique<ChildProcess>(
        args, std::map<std::string, std::string>{{"SWITCHBOARD_AGENT_API_TOKEN", kAgentToken}},
        (dir_ / (name + ".log")).string());
  }

  std::string readBootstrap() { return testing::readBootstrapFile(dir_ / "bootstrap"); }

  static bool ready(uint16_t port) {
    auto r = HttpClient::get(kHost, port, "/readyz");
    return r && r->status == 200;
  }

  static std::string metrics(uint16_t port) {
    auto r = HttpClient::get(kHost, port, "/metrics");
    return r && r->status == 200 ? r->body : std::string();
  }

  static void expectStopsCleanly(ChildProcess& process) {
    process.signal(SIGTERM);
    auto status = process.waitExit(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value()) << "did not stop on SIGTERM\n" << process.log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << process.log();
  }

  // Runs the user's journey against an ingress port and a router's agent API port.
  void routeOneChat(uint16_t ingress_port, uint16_t agent_port, uint16_t router_port,
                    const kafka::KafkaSettings& kafka) {
    auto agent = HttpClient::post(kHost, agent_port, "/v1/agents/alice/presence",
                                  R"({"presence":"available","capacities":{"chat":3},)"
                                  R"("display_name":"Alice"})",
                                  kAgentAuth);
    ASSERT_TRUE(agent) << agent.error().describe();
    ASSERT_EQ(agent->status, 202) << agent->body;

    const std::string chat =
        R"({"visitor_id":"v-42","message_id":"m-1","text":"Hi, my order #1234 never arrived",)"
        R"("name":"Ana Lima","language":"en"})";
    auto accepted = HttpClient::post(kHost, ingress_port, "/v1/chat/messages", chat);
    ASSERT_TRUE(accepted) << accepted.error().describe();
    ASSERT_EQ(accepted->status, 202) << accepted->body;
    EXPECT_NE(accepted->body.find("\"status\":\"accepted\""), std::string::npos);

    std::vector<testing::TopicRecord> assignments;
    ASSERT_TRUE(testing::eventually(
        [&] {
          assignments = testing::readTopic(kafka, kAssignments, kPartitions);
          return !assignments.empty();
        },
        std::chrono::seconds(60), std::chrono::milliseconds(200)));
    ASSERT_EQ(assignments.size(), 1u);
    EXPECT_EQ(assignments[0].event_type, "switchboard.v1.Assignment");
    EXPECT_EQ(assignments[0].key, "default");
    v1::Assignment a;
    ASSERT_TRUE(a.ParseFromString(assignments[0].value));
    EXPECT_EQ(a.agent_id(), "alice");
    EXPECT_EQ(a.pool_id(), "default");
    EXPECT_EQ(a.channel(), v1::CHANNEL_CHAT);
    EXPECT_EQ(a.status(), v1::ASSIGNMENT_STATUS_ASSIGNED);
    EXPECT_EQ(a.work_item().message().text(), "Hi, my order #1234 never arrived");
    EXPECT_EQ(a.work_item().message().sender().value(), "chat:v-42");
    EXPECT_EQ(a.reason().candidate_count(), 1u);
    EXPECT_FALSE(a.reason().strategy().empty());
    EXPECT_EQ(a.assignment_id(), assignments[0].event_id);
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(a, &json, options);
    std::cout << "Assignment read from " << kAssignments << ":\n" << json << std::endl;

    // The provider retries the same message: accepted again, routed once.
    auto retried = HttpClient::post(kHost, ingress_port, "/v1/chat/messages", chat);
    ASSERT_TRUE(retried);
    EXPECT_EQ(retried->status, 202);

    // Malformed input: a clear 400, a dead letter with the raw payload, and the process goes on.
    auto bad = HttpClient::post(kHost, ingress_port, "/v1/chat/messages", "{not json");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_NE(bad->body.find("\"error\""), std::string::npos) << bad->body;
    std::vector<testing::TopicRecord> dead;
    ASSERT_TRUE(testing::eventually([&] {
      dead = testing::readTopic(kafka, kDeadLetters, 3);
      return !dead.empty();
    }));
    v1::DeadLetter dl;
    ASSERT_TRUE(dl.ParseFromString(dead[0].value));
    EXPECT_EQ(dl.payload(), "{not json");
    EXPECT_EQ(dl.source(), "connector/chat");

    // Once the router has committed everything, the retry has produced nothing new.
    ASSERT_TRUE(testing::eventually(
        [&] {
          return testing::groupLag(kafka, "switchboard-identity", "switchboard.inbound.v1",
                                   kPartitions) == 0;
        },
        std::chrono::seconds(30)));
    EXPECT_EQ(testing::readTopic(kafka, kWorkItems, kPartitions).size(), 1u);
    EXPECT_EQ(testing::readTopic(kafka, kAssignments, kPartitions).size(), 1u);

    // The counters an SRE watches moved.
    std::string ingress_metrics = metrics(ingress_port);
    std::string router_metrics = metrics(router_port);
    EXPECT_EQ(testing::sampleValue(
                  ingress_metrics,
                  R"(switchboard_ingress_requests_total{channel="chat",outcome="accepted"})"),
              2.0)
        << ingress_metrics;
    EXPECT_EQ(testing::sampleValue(
                  ingress_metrics,
                  R"(switchboard_ingress_requests_total{channel="chat",outcome="rejected"})"),
              1.0);
    EXPECT_EQ(testing::sampleValue(
                  router_metrics,
                  R"(switchboard_router_assignments_total{channel="chat",pool="default"})"),
              1.0)
        << router_metrics;
    EXPECT_EQ(testing::sampleValue(router_metrics,
                                   R"(switchboard_router_duplicates_total{stage="identity"})"),
              1.0);
  }

  std::filesystem::path dir_;
};

// `up` and `router` serve the agent API: without its token they refuse to start, and say how.
TEST_F(EndToEndTest, AgentApiDoesNotStartWithoutAToken) {
  for (const std::string command : {"up", "router"}) {
    ChildProcess process({SWITCHBOARD_BINARY, command, "--brokers", "127.0.0.1:1", "--http-port",
                          "0", "--state-dir", (dir_ / "state").string()},
                         {{"SWITCHBOARD_AGENT_API_TOKEN", ""}},
                         (dir_ / (command + "-no-token.log")).string());
    auto status = process.waitExit(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value()) << command << " kept running:\n" << process.log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << process.log();
    EXPECT_NE(process.log().find("SWITCHBOARD_AGENT_API_TOKEN"), std::string::npos)
        << process.log();
    EXPECT_NE(process.log().find("--agent-api-insecure"), std::string::npos) << process.log();
  }
}

TEST_F(EndToEndTest, UpRoutesAChatMessageToAnAnnouncedAgent) {
  auto up = spawn("up", {"up", "--http-address", kHost, "--http-port", "0", "--partitions",
                         std::to_string(kPartitions), "--state-dir", (dir_ / "state").string(),
                         "--bootstrap-file", (dir_ / "bootstrap").string()});
  uint16_t port = httpPort(*up);
  ASSERT_NE(port, 0);
  kafka::KafkaSettings kafka{.brokers = readBootstrap()};
  ASSERT_FALSE(kafka.brokers.empty()) << up->log();

  auto health = HttpClient::get(kHost, port, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  ASSERT_TRUE(testing::eventually([&] { return ready(port); }, std::chrono::seconds(30)))
      << up->log();

  routeOneChat(port, port, port, kafka);
  expectStopsCleanly(*up);
}

TEST_F(EndToEndTest, SeparateProcessesShareTheEmbeddedCluster) {
  auto cluster = spawn("kafka", {"kafka", "--partitions", std::to_string(kPartitions),
                                 "--bootstrap-file", (dir_ / "bootstrap").string()});
  std::string brokers = readBootstrap();
  ASSERT_FALSE(brokers.empty()) << cluster->log();
  kafka::KafkaSettings kafka{.brokers = brokers};

  auto router = spawn("router", {"router", "--brokers", brokers, "--partitions",
                                 std::to_string(kPartitions), "--http-address", kHost,
                                 "--http-port", "0", "--state-dir", (dir_ / "state").string()});
  auto connectors = spawn(
      "connectors", {"connectors", "--brokers", brokers, "--partitions",
                     std::to_string(kPartitions), "--http-address", kHost, "--http-port", "0"});
  uint16_t router_port = httpPort(*router);
  uint16_t ingress_port = httpPort(*connectors);
  ASSERT_NE(router_port, 0);
  ASSERT_NE(ingress_port, 0);
  ASSERT_TRUE(testing::eventually([&] { return ready(router_port); }, std::chrono::seconds(30)));

  // The agent API lives with the router; chat ingress with the connectors.
  auto no_chat_here = HttpClient::post(kHost, router_port, "/v1/chat/messages", "{}");
  ASSERT_TRUE(no_chat_here);
  EXPECT_EQ(no_chat_here->status, 404);

  routeOneChat(ingress_port, router_port, router_port, kafka);
  expectStopsCleanly(*connectors);
  expectStopsCleanly(*router);
  expectStopsCleanly(*cluster);
}

TEST_F(EndToEndTest, EachStageCanRunInItsOwnProcess) {
  auto cluster = spawn("kafka", {"kafka", "--partitions", std::to_string(kPartitions),
                                 "--bootstrap-file", (dir_ / "bootstrap").string()});
  std::string brokers = readBootstrap();
  ASSERT_FALSE(brokers.empty()) << cluster->log();
  kafka::KafkaSettings kafka{.brokers = brokers};

  // One process per router stage, as separate Deployments would run them; the agent API goes
  // with any router process (here the dispatch one).
  std::vector<std::unique_ptr<ChildProcess>> stages;
  std::vector<uint16_t> ports;
  for (const std::string stage : {"identity", "context", "dispatch"}) {
    stages.push_back(
        spawn(stage, {"router", "--stages", stage, "--brokers", brokers, "--partitions",
                      std::to_string(kPartitions), "--http-address", kHost, "--http-port", "0",
                      "--state-dir", (dir_ / ("state-" + stage)).string()}));
    ports.push_back(httpPort(*stages.back()));
    ASSERT_NE(ports.back(), 0);
  }
  auto connectors = spawn(
      "connectors", {"connectors", "--brokers", brokers, "--partitions",
                     std::to_string(kPartitions), "--http-address", kHost, "--http-port", "0"});
  uint16_t ingress_port = httpPort(*connectors);
  ASSERT_NE(ingress_port, 0);
  for (uint16_t port : ports) {
    ASSERT_TRUE(testing::eventually([&] { return ready(port); }, std::chrono::seconds(60)));
  }

  auto agent = HttpClient::post(kHost, ports[2], "/v1/agents/alice/presence",
                                R"({"presence":"available","capacities":{"chat":3}})", kAgentAuth);
  ASSERT_TRUE(agent);
  ASSERT_EQ(agent->status, 202) << agent->body;
  auto accepted = HttpClient::post(kHost, ingress_port, "/v1/chat/messages",
                                   R"({"visitor_id":"v-7","message_id":"m-1","text":"Hello"})");
  ASSERT_TRUE(accepted);
  ASSERT_EQ(accepted->status, 202) << accepted->body;

  std::vector<testing::TopicRecord> assignments;
  ASSERT_TRUE(testing::eventually(
      [&] {
        assignments = testing::readTopic(kafka, kAssignments, kPartitions);
        return !assignments.empty();
      },
      std::chrono::seconds(60), std::chrono::milliseconds(200)));
  v1::Assignment a;
  ASSERT_TRUE(a.ParseFromString(assignments[0].value));
  EXPECT_EQ(a.agent_id(), "alice");
  EXPECT_EQ(a.work_item().message().text(), "Hello");
  EXPECT_EQ(a.work_item().context().recent_size(), 1);
  // Each process counts only its own stage's work.
  const std::string identity_metrics = metrics(ports[0]);
  EXPECT_EQ(testing::sampleValue(
                identity_metrics,
                R"(switchboard_stage_records_total{outcome="processed",stage="identity"})"),
            1.0)
      << identity_metrics;
  EXPECT_EQ(identity_metrics.find(R"(stage="dispatch")"), std::string::npos);

  expectStopsCleanly(*connectors);
  for (auto& stage : stages) expectStopsCleanly(*stage);
  expectStopsCleanly(*cluster);
}

}  // namespace
}  // namespace switchboard
