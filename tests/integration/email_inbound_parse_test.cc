// The SendGrid and Mailgun inbound-parse connectors behind the real ingress host and HTTP
// server, against the embedded Kafka cluster: a provider's post is answered 2xx only once its
// InboundMessage is on the inbound topic (keyed by the sender address); a refused post gets its
// 4xx and a dead letter with the connector's reason.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "connectors/common/form_urlencoded.h"
#include "connectors/email/mailgun_connector.h"
#include "connectors/email/sendgrid_connector.h"
#include "connectors/ingress/ingress_host.h"
#include "core/http/http_server.h"
#include "core/kafka/embedded_cluster.h"
#include "core/kafka/partition_reader.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"
#include "core/topics.h"
#include "switchboard/v1/dead_letter.pb.h"
#include "switchboard/v1/inbound_message.pb.h"
#include "tests/integration/support/http_client.h"
#include "tests/integration/support/wait.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpResponse;

constexpr int32_t kInboundPartitions = 4;
constexpr const char* kLocalhost = "127.0.0.1";
// Made up for the tests, like the unit tests' secrets.
constexpr std::string_view kBasicAuth = "sendgrid:parse-password-not-a-secret";
constexpr std::string_view kSigningKey = "test-signing-key-not-a-secret";

std::string testdata(std::string_view relative) {
  std::filesystem::path path =
      std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / std::string(relative);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string basicHeader(std::string_view credentials) {
  unsigned char encoded[256];
  int n = EVP_EncodeBlock(encoded, reinterpret_cast<const unsigned char*>(credentials.data()),
                          static_cast<int>(credentials.size()));
  return "Basic " + std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(n));
}

// A Mailgun route post signed now (the host hands connectors the wall clock).
std::string mailgunForm(std::vector<std::pair<std::string, std::string>> fields,
                        const std::string& token) {
  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  const std::string message = timestamp + token;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), kSigningKey.data(), static_cast<int>(kSigningKey.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &size);
  std::string signature;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < size; ++i) {
    signature += kHex[mac[i] >> 4];
    signature += kHex[mac[i] & 0xf];
  }
  fields.emplace_back("timestamp", timestamp);
  fields.emplace_back("token", token);
  fields.emplace_back("signature", signature);
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += connectors::formUrlencode(name) + '=' + connectors::formUrlencode(value);
  }
  return body;
}

class EmailInboundParseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = kafka::EmbeddedCluster::start();
    ASSERT_TRUE(cluster.has_value()) << cluster.error().describe();
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(
        cluster_->createTopics({{topics_.inbound, kInboundPartitions}, {topics_.dead_letters, 1}})
            .has_value());
    settings_ = cluster_->clientSettings();
    auto producer = kafka::Producer::create(settings_, kafka::ProducerOptions{});
    ASSERT_TRUE(producer.has_value()) << producer.error().describe();
    producer_ = std::move(*producer);
    auto reader = kafka::PartitionReader::create(settings_);
    ASSERT_TRUE(reader.has_value()) << reader.error().describe();
    reader_ = std::move(*reader);

    connectors::email::SendGridSettings sendgrid;
    sendgrid.basic_auth = std::string(kBasicAuth);
    ASSERT_TRUE(connectors::email::registerSendGridConnector(registry_, sendgrid).has_value());
    connectors::email::MailgunSettings mailgun;
    mailgun.signing_key = std::string(kSigningKey);
    ASSERT_TRUE(connectors::email::registerMailgunConnector(registry_, mailgun).has_value());
    host_ = std::make_unique<connectors::IngressHost>(*producer_, topics_, metrics_, registry_);

    http::ServerOptions server_options;
    server_options.address = kLocalhost;
    server_options.port = 0;
    server_options.max_body_bytes = 32 << 20;  // what the README tells operators to set
    server_ = std::make_unique<http::HttpServer>(server_options);
    host_->attach(*server_);
    auto started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().describe();
    port_ = server_->port();
  }

  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    host_.reset();
    reader_.reset();
    producer_.reset();
    cluster_.reset();
  }

  Result<HttpResponse> post(std::string_view path, std::string_view body,
                            const testing::HttpHeaders& headers) {
    return HttpClient::post(kLocalhost, port_, path, body, headers);
  }

  // The record values of one partition, read at once.
  std::vector<std::pair<std::string, std::string>> records(const std::string& topic,
                                                           int32_t partition) {
    std::vector<std::pair<std::string, std::string>> out;
    auto status = reader_->readToEnd(
        topic, partition, 0,
        [&](const rd_kafka_message_t& m) {
          out.emplace_back(std::string(kafka::messageKey(&m)),
                           std::string(kafka::messageValue(&m)));
          return okStatus();
        },
        10s);
    EXPECT_TRUE(status.has_value()) << status.error().describe();
    return out;
  }

  // The InboundMessages on the partition of `sender`, keyed by it.
  std::vector<v1::InboundMessage> inboundFrom(const std::string& sender) {
    std::vector<v1::InboundMessage> out;
    const int32_t partition = kafka::Producer::partitionForKey(sender, kInboundPartitions);
    for (const auto& [key, value] : records(topics_.inbound, partition)) {
      if (key != sender) continue;
      v1::InboundMessage message;
      EXPECT_TRUE(message.ParseFromString(value));
      out.push_back(std::move(message));
    }
    return out;
  }

  std::vector<v1::DeadLetter> deadLetters() {
    std::vector<v1::DeadLetter> out;
    testing::eventually([&] { return !records(topics_.dead_letters, 0).empty(); }, 15s);
    for (const auto& [key, value] : records(topics_.dead_letters, 0)) {
      v1::DeadLetter letter;
      EXPECT_TRUE(letter.ParseFromString(value));
      out.push_back(std::move(letter));
    }
    return out;
  }

  Topics topics_;
  kafka::KafkaSettings settings_;
  metrics::MetricsRegistry metrics_;
  connectors::ConnectorRegistry registry_;
  std::unique_ptr<kafka::EmbeddedCluster> cluster_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::PartitionReader> reader_;
  std::unique_ptr<connectors::IngressHost> host_;
  std::unique_ptr<http::HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(EmailInboundParseTest, SendGridPostIsOnTheInboundTopicWhenAccepted) {
  const std::string body = testdata("email/sendgrid/parsed_attachments.multipart");
  const std::string type = "multipart/form-data; boundary=xYzZY";
  auto refused = post("/v1/email/sendgrid", body, {{"Content-Type", type}});
  ASSERT_TRUE(refused.has_value()) << refused.error().describe();
  EXPECT_EQ(refused->status, 401);
  EXPECT_TRUE(inboundFrom("ana@example.com").empty());

  auto response = post("/v1/email/sendgrid", body,
                       {{"Content-Type", type}, {"Authorization", basicHeader(kBasicAuth)}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  ASSERT_EQ(response->status, 202) << response->body;
  boost::json::value answer = boost::json::parse(response->body);

  std::vector<v1::InboundMessage> messages = inboundFrom("ana@example.com");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].provider(), "sendgrid");
  EXPECT_EQ(messages[0].envelope().event_id(), answer.at("event_id").as_string());
  ASSERT_EQ(messages[0].attachments_size(), 2);
  EXPECT_EQ(messages[0].attachments(1).sha256(),
            "c414cd0e204de974f73753c7e28d7638e7b3691bb8b1a2bab6b25bb7fed7ce77");

  std::vector<v1::DeadLetter> letters = deadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].reason(), "missing_signature");
}

TEST_F(EmailInboundParseTest, MailgunMimePostIsAcceptedOnceAndItsReplayRefused) {
  const std::string body =
      mailgunForm({{"recipient", "support@mg.example.com"},
                   {"sender", "ana@example.com"},
                   {"body-mime",
                    "From: Ana Lima <ana@example.com>\r\nTo: support@mg.example.com\r\n"
                    "Subject: Hello\r\nMessage-ID: <it-1@mail.example.com>\r\n\r\nHello!\r\n"}},
                  "integration-token-0000000000000000000000000000000000");
  const testing::HttpHeaders headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  auto response = post("/v1/email/mailgun/mime", body, headers);
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  ASSERT_EQ(response->status, 200) << response->body;

  std::vector<v1::InboundMessage> messages = inboundFrom("ana@example.com");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].provider(), "mailgun");
  EXPECT_EQ(messages[0].text(), "Hello!");
  EXPECT_EQ(messages[0].envelope().idempotency_key(), "email:it-1@mail.example.com");

  auto replay = post("/v1/email/mailgun/mime", body, headers);
  ASSERT_TRUE(replay.has_value()) << replay.error().describe();
  EXPECT_EQ(replay->status, 403);
  EXPECT_EQ(inboundFrom("ana@example.com").size(), 1u);
  std::vector<v1::DeadLetter> letters = deadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].reason(), "bad_signature");
  EXPECT_EQ(letters[0].source(), "connector/mailgun");
}

TEST_F(EmailInboundParseTest, TruncatedMultipartIs400AndDeadLettered) {
  const std::string body = testdata("email/sendgrid/raw.multipart");
  auto response = post("/v1/email/sendgrid", body.substr(0, body.size() / 2),
                       {{"Content-Type", "multipart/form-data; boundary=xYzZY"},
                        {"Authorization", basicHeader(kBasicAuth)}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(boost::json::parse(response->body).at("error").at("code").as_string(),
            "malformed_multipart");
  std::vector<v1::DeadLetter> letters = deadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].reason(), "malformed_multipart");
  EXPECT_EQ(letters[0].payload(), body.substr(0, body.size() / 2));
}

// Mailgun retries everything but 200 and 406 for 8 hours: content it can never fix gets 406.
TEST_F(EmailInboundParseTest, MailgunContentRefusalIs406SoMailgunStopsRetrying) {
  const std::string body = testdata("email/sendgrid/raw.multipart");
  auto response = post("/v1/email/mailgun/mime", body.substr(0, body.size() / 2),
                       {{"Content-Type", "multipart/form-data; boundary=xYzZY"}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 406);
  EXPECT_EQ(boost::json::parse(response->body).at("error").at("code").as_string(),
            "malformed_multipart");
  std::vector<v1::DeadLetter> letters = deadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].source(), "connector/mailgun");
  EXPECT_EQ(letters[0].reason(), "malformed_multipart");
}

}  // namespace
}  // namespace switchboard
