// Mail from a real SMTP client (swaks, as an MTA would hand it over) into the real switchboard
// executable: `switchboard up --smtp-port 0` with embedded Kafka, and `switchboard connectors
// --lmtp` against a cluster in this process that the test can take down. Checks the replies
// (250 only once the event is on Kafka, 554 plus a dead letter for a malformed message, 451
// while Kafka is down, one reply per recipient in LMTP), the InboundMessage on the inbound
// topic, and that a redelivered Message-ID is routed once.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "switchboard/v1/dead_letter.pb.h"
#include "switchboard/v1/inbound_message.pb.h"
#include "tests/integration/support/child_process.h"
#include "tests/integration/support/group_offsets.h"
#include "tests/integration/support/http_client.h"
#include "tests/integration/support/pipeline_fixture.h"
#include "tests/integration/support/switchboard_output.h"
#include "tests/integration/support/topic_contents.h"
#include "tests/integration/support/wait.h"

namespace switchboard {
namespace {

using testing::ChildProcess;
using testing::HttpClient;
using testing::httpPort;
using testing::smtpPort;

constexpr int32_t kPartitions = 2;
constexpr char kHost[] = "127.0.0.1";
constexpr char kSwaks[] = "/usr/bin/swaks";
const std::string kInbound = "switchboard.inbound.v1";
const std::string kDeadLetters = "switchboard.dead-letters.v1";
const std::string kWorkItems = "switchboard.work-items.v1";

constexpr std::string_view kCustomerMail =
    "From: \"Ana Lima\" <Ana.Lima@Example.COM>\r\n"
    "To: Support <support@shop.example>\r\n"
    "Subject: Where is my order?\r\n"
    "Message-ID: <order-1234.ana@example.com>\r\n"
    "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hi, my order #1234 never arrived.\r\n"
    ".A line that starts with a dot.\r\n";

// No From header: the email connector refuses it (malformed_mime).
constexpr std::string_view kMalformedMail =
    "Subject: no sender\r\n"
    "\r\n"
    "Who wrote this?\r\n";

struct SwaksRun {
  int exit_code = -1;
  std::string transcript;
};

class SmtpIngressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kSwaks)) << "swaks is missing: scripts/install-deps.sh";
    dir_ = std::filesystem::temp_directory_path() /
           ("sb-smtp-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<ChildProcess> spawn(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), SWITCHBOARD_BINARY);
    // `up` serves the agent API, which does not start without a token.
    return std::make_unique<ChildProcess>(
        args,
        std::map<std::string, std::string>{{"SWITCHBOARD_AGENT_API_TOKEN", "smtp-test-token"}},
        (dir_ / (name + ".log")).string());
  }

  std::string readBootstrap() { return testing::readBootstrapFile(dir_ / "bootstrap"); }

  static bool ready(uint16_t port) {
    auto r = HttpClient::get(kHost, port, "/readyz");
    return r && r->status == 200;
  }

  // Delivers `data` with swaks and returns its exit code and transcript.
  SwaksRun swaks(uint16_t port, const std::string& to, std::string_view data,
                 const std::string& protocol = "ESMTP") {
    const std::string name = "swaks-" + std::to_string(++swaks_runs_);
    const std::filesystem::path data_file = dir_ / (name + ".eml");
    {
      std::ofstream out(data_file, std::ios::binary);
      out << data;
    }
    std::vector<std::string> args = {kSwaks,
                                     "--server",
                                     kHost,
                                     "--port",
                                     std::to_string(port),
                                     "--protocol",
                                     protocol,
                                     "--helo",
                                     "mta.test",
                                     "--from",
                                     "Ana.Lima@Example.COM",
                                     "--to",
                                     to,
                                     "--data",
                                     "@" + data_file.string(),
                                     "--timeout",
                                     "60"};
    if (protocol == "ESMTP") args.push_back("--pipeline");
    const std::string log_path = (dir_ / (name + ".log")).string();
    ChildProcess process(args, {}, log_path);
    SwaksRun run;
    auto status = process.waitExit(std::chrono::seconds(90));
    EXPECT_TRUE(status.has_value()) << "swaks did not finish";
    if (status && WIFEXITED(*status)) run.exit_code = WEXITSTATUS(*status);
    run.transcript = process.log();
    return run;
  }

  // The server replies in a swaks transcript ("<-  250 ...", "<** 554 ..." for errors).
  static std::vector<std::string> serverLines(const std::string& transcript,
                                              const std::string& prefix) {
    std::vector<std::string> lines;
    std::istringstream in(transcript);
    std::string line;
    while (std::getline(in, line)) {
      const size_t start = line.find_first_not_of(' ');
      if (start == std::string::npos ||
          (line.compare(start, 2, "<-") != 0 && line.compare(start, 3, "<**") != 0)) {
        continue;  // not a server line
      }
      const size_t text = line.find_first_not_of("<-* ", start);
      if (text != std::string::npos && line.compare(text, prefix.size(), prefix) == 0) {
        lines.push_back(line.substr(text));
      }
    }
    return lines;
  }

  static void expectStopsCleanly(ChildProcess& process) {
    process.signal(SIGTERM);
    auto status = process.waitExit(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value()) << "did not stop on SIGTERM\n" << process.log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << process.log();
  }

  std::filesystem::path dir_;
  int swaks_runs_ = 0;
};

TEST_F(SmtpIngressTest, UpTakesMailFromAnMtaAndRoutesARedeliveryOnce) {
  auto up =
      spawn("up", {"up", "--http-address", kHost, "--http-port", "0", "--smtp-port", "0",
                   "--partitions", std::to_string(kPartitions), "--state-dir",
                   (dir_ / "state").string(), "--bootstrap-file", (dir_ / "bootstrap").string()});
  const uint16_t http_port = httpPort(*up);
  const uint16_t smtp_port = smtpPort(*up);
  ASSERT_NE(http_port, 0);
  ASSERT_NE(smtp_port, 0);
  kafka::KafkaSettings kafka{.brokers = readBootstrap()};
  ASSERT_FALSE(kafka.brokers.empty()) << up->log();
  ASSERT_TRUE(testing::eventually([&] { return ready(http_port); }, std::chrono::seconds(30)))
      << up->log();

  const SwaksRun first = swaks(smtp_port, "support@shop.example", kCustomerMail);
  ASSERT_EQ(first.exit_code, 0) << first.transcript << up->log();
  const auto queued = serverLines(first.transcript, "250 2.0.0 Ok: queued as in-");
  ASSERT_EQ(queued.size(), 1u) << first.transcript;

  // 250 came after the delivery report: the record is already on the topic.
  auto inbound = testing::readTopic(kafka, kInbound, kPartitions);
  ASSERT_EQ(inbound.size(), 1u);
  v1::InboundMessage message;
  ASSERT_TRUE(message.ParseFromString(inbound[0].value));
  EXPECT_EQ(message.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(message.provider(), "smtp");
  EXPECT_EQ(message.sender().value(), "ana.lima@example.com");
  EXPECT_EQ(message.sender().display_name(), "Ana Lima");
  EXPECT_EQ(message.thread().subject(), "Where is my order?");
  EXPECT_EQ(message.thread().message_id(), "order-1234.ana@example.com");
  EXPECT_NE(message.text().find("Hi, my order #1234 never arrived."), std::string::npos)
      << message.text();
  // Dot-unstuffed: swaks doubled the leading dot, the server removed it again.
  EXPECT_NE(message.text().find("\n.A line that starts with a dot."), std::string::npos)
      << message.text();
  EXPECT_EQ(inbound[0].key, "ana.lima@example.com");
  EXPECT_NE(queued[0].find(message.envelope().event_id()), std::string::npos) << queued[0];

  // The MTA delivers the same mail again (it never saw our 250, say): accepted again, routed
  // once.
  const SwaksRun again = swaks(smtp_port, "support@shop.example", kCustomerMail);
  ASSERT_EQ(again.exit_code, 0) << again.transcript;
  EXPECT_EQ(serverLines(again.transcript, "250 2.0.0 Ok: queued as in-").size(), 1u);

  // A malformed message: refused permanently, dead-lettered raw, and the process goes on.
  const SwaksRun bad = swaks(smtp_port, "support@shop.example", kMalformedMail);
  EXPECT_EQ(bad.exit_code, 26) << bad.transcript;  // swaks: "server did not accept mail"
  EXPECT_EQ(serverLines(bad.transcript, "554 5.6.0 ").size(), 1u) << bad.transcript;
  std::vector<testing::TopicRecord> dead;
  ASSERT_TRUE(testing::eventually([&] {
    dead = testing::readTopic(kafka, kDeadLetters, 3);
    return !dead.empty();
  }));
  ASSERT_EQ(dead.size(), 1u);
  v1::DeadLetter dead_letter;
  ASSERT_TRUE(dead_letter.ParseFromString(dead[0].value));
  EXPECT_EQ(dead_letter.source(), "connector/smtp");
  EXPECT_NE(dead_letter.payload().find("Who wrote this?"), std::string::npos);

  // Identity has committed both deliveries and context everything identity passed on.
  ASSERT_TRUE(testing::eventually(
      [&] {
        return testing::groupLag(kafka, "switchboard-identity", kInbound, kPartitions) == 0 &&
               testing::groupLag(kafka, "switchboard-context", "switchboard.customer-messages.v1",
                                 kPartitions) == 0;
      },
      std::chrono::seconds(60)))
      << up->log();
  EXPECT_EQ(testing::readTopic(kafka, kInbound, kPartitions).size(), 2u);
  EXPECT_EQ(testing::readTopic(kafka, kWorkItems, kPartitions).size(), 1u);

  auto metrics = HttpClient::get(kHost, http_port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(switchboard_ingress_requests_total{channel="smtp",)"),
            std::string::npos);
  expectStopsCleanly(*up);
}

TEST_F(SmtpIngressTest, LmtpAnswersEachRecipientAndSays451WhileKafkaIsDown) {
  testing::PipelineFixture cluster;  // Kafka in this process, so that the test can stop it
  auto connectors =
      spawn("connectors", {"connectors", "--brokers", cluster.brokers(), "--partitions",
                           std::to_string(kPartitions), "--http-address", kHost, "--http-port", "0",
                           "--smtp-port", "0", "--lmtp"});
  ASSERT_NE(httpPort(*connectors), 0);
  const uint16_t lmtp_port = smtpPort(*connectors);
  ASSERT_NE(lmtp_port, 0);
  EXPECT_NE(connectors->log().find("accepting mail by LMTP"), std::string::npos);

  const SwaksRun two =
      swaks(lmtp_port, "support@shop.example,sales@shop.example", kCustomerMail, "LMTP");
  ASSERT_EQ(two.exit_code, 0) << two.transcript << connectors->log();
  EXPECT_EQ(serverLines(two.transcript, "250 2.0.0 Ok: queued as in-").size(), 2u)
      << two.transcript;
  auto inbound = testing::readTopic(cluster.settings(), kInbound, kPartitions);
  ASSERT_EQ(inbound.size(), 1u);  // one message, one event, whatever the recipients
  v1::InboundMessage message;
  ASSERT_TRUE(message.ParseFromString(inbound[0].value));
  EXPECT_EQ(message.provider(), "lmtp");

  // Kafka down: the final replies say "try later" (one per recipient), so the MTA keeps the
  // mail; nothing reaches the topic.
  rd_kafka_mock_broker_set_down(cluster.cluster().mock(), 1);
  const SwaksRun down =
      swaks(lmtp_port, "support@shop.example,sales@shop.example", kCustomerMail, "LMTP");
  rd_kafka_mock_broker_set_up(cluster.cluster().mock(), 1);
  EXPECT_EQ(down.exit_code, 26) << down.transcript;
  EXPECT_EQ(serverLines(down.transcript, "451 4.3.0 ").size(), 2u) << down.transcript;

  // Once Kafka is back the MTA's retry goes through.
  SwaksRun retry;
  EXPECT_TRUE(testing::eventually(
      [&] {
        retry = swaks(lmtp_port, "support@shop.example", kCustomerMail, "LMTP");
        return retry.exit_code == 0;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(500)))
      << retry.transcript;
  expectStopsCleanly(*connectors);
}

}  // namespace
}  // namespace switchboard
