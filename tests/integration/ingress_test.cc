// The ingress host and the agent API over real HTTP against the embedded Kafka cluster:
// accepted means the record is on its topic; refused input is answered 4xx and dead-lettered
// raw; Kafka trouble is answered 503 with Retry-After, at once when the in-flight limits are
// reached (back-pressure); the agent API requires its bearer token.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "connectors/ingress/ingress_host.h"
#include "connectors/meta/meta_connector.h"
#include "connectors/register_all.h"
#include "core/http/http_server.h"
#include "core/kafka/consumer.h"
#include "core/kafka/embedded_cluster.h"
#include "core/kafka/partition_reader.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"
#include "core/topics.h"
#include "router/api/agent_api.h"
#include "switchboard/v1/agent_event.pb.h"
#include "switchboard/v1/dead_letter.pb.h"
#include "switchboard/v1/inbound_message.pb.h"
#include "tests/integration/support/http_client.h"
#include "tests/integration/support/wait.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpHeaders;
using testing::HttpResponse;

constexpr int32_t kInboundPartitions = 4;
constexpr int32_t kAgentEventPartitions = 2;
constexpr const char* kLocalhost = "127.0.0.1";

constexpr std::string_view kChatBody = R"({"visitor_id":"v-42","message_id":"c-1",
  "session_id":"s-9","text":"Hi there","name":"Ana","email":"Ana@Example.com",
  "language":"pt-BR","attributes":{"page":"/pricing"}})";

struct Record {
  std::string key;
  std::string value;
  std::string event_id;
  std::string event_type;
};

constexpr char kAgentToken[] = "ingress-test-agent-token";

struct StackOptions {
  std::chrono::milliseconds delivery_timeout{30000};
  std::string bearer_token = kAgentToken;
  bool allow_unauthenticated = false;
  size_t max_inflight_requests = 1024;
  size_t max_inflight_bytes = 32 << 20;
  // Registered in addition to registerAllConnectors().
  std::optional<connectors::meta::MetaSettings> meta;
};

// A golden payload from tests/testdata/.
std::string testdata(std::string_view relative) {
  std::filesystem::path path =
      std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / std::string(relative);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// X-Hub-Signature-256 as Meta computes it: "sha256=" + hex HMAC-SHA256(app secret, raw body).
std::string hubSignature(std::string_view secret, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

// The value of one Prometheus series in render() output, or -1 when it is absent.
double metricValue(const std::string& rendered, const std::string& series) {
  std::istringstream lines(rendered);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

class IngressTest : public ::testing::Test {
 protected:
  void start(const StackOptions& options = {}) {
    auto cluster = kafka::EmbeddedCluster::start();
    ASSERT_TRUE(cluster.has_value()) << cluster.error().describe();
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_
                    ->createTopics({{topics_.inbound, kInboundPartitions},
                                    {topics_.dead_letters, 1},
                                    {topics_.agent_events, kAgentEventPartitions}})
                    .has_value());
    settings_ = cluster_->clientSettings();

    kafka::ProducerOptions producer_options;
    producer_options.delivery_timeout = options.delivery_timeout;
    auto producer = kafka::Producer::create(settings_, producer_options);
    ASSERT_TRUE(producer.has_value()) << producer.error().describe();
    producer_ = std::move(*producer);
    auto reader = kafka::PartitionReader::create(settings_);
    ASSERT_TRUE(reader.has_value()) << reader.error().describe();
    reader_ = std::move(*reader);

    ASSERT_TRUE(connectors::registerAllConnectors(registry_, {}).has_value());
    if (options.meta) {
      auto registered = connectors::meta::registerMetaConnector(registry_, *options.meta);
      ASSERT_TRUE(registered.has_value()) << registered.error().describe();
    }
    connectors::IngressOptions ingress_options;
    ingress_options.max_inflight_requests = options.max_inflight_requests;
    ingress_options.max_inflight_bytes = options.max_inflight_bytes;
    host_ = std::make_unique<connectors::IngressHost>(*producer_, topics_, metrics_, registry_,
                                                      ingress_options);
    router::AgentApiOptions agent_options;
    agent_options.bearer_token = options.bearer_token;
    agent_options.allow_unauthenticated = options.allow_unauthenticated;
    agents_ = std::make_unique<router::AgentApi>(*producer_, topics_, metrics_, agent_options);

    http::ServerOptions server_options;
    server_options.address = kLocalhost;
    server_options.port = 0;
    server_ = std::make_unique<http::HttpServer>(server_options);
    host_->attach(*server_);
    agents_->attach(*server_);
    server_->route("GET", "/metrics", [this](http::Request&&, http::Responder respond) {
      respond({.status = 200, .content_type = "text/plain", .body = metrics_.render()});
    });
    auto started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().describe();
    port_ = server_->port();
  }

  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    agents_.reset();
    host_.reset();
    reader_.reset();
    producer_.reset();
    cluster_.reset();
  }

  Result<HttpResponse> post(std::string_view path, std::string_view body,
                            const HttpHeaders& headers = {}) {
    return HttpClient::post(kLocalhost, port_, path, body, headers);
  }

  // A call to the agent API with the stack's token.
  Result<HttpResponse> agentPost(std::string_view path, std::string_view body) {
    return post(path, body, {{"Authorization", std::string("Bearer ") + kAgentToken}});
  }

  // A sender retrying `body` while the answer is 503 (Kafka not back yet), for up to 30 s: the
  // first other answer, or nullopt.
  std::optional<HttpResponse> retryWhileUnavailable(std::string_view path, std::string_view body) {
    std::optional<HttpResponse> answer;
    testing::eventually(
        [&] {
          auto r = post(path, body);
          if (r.has_value() && r->status != 503) answer = *r;
          return answer.has_value();
        },
        30s, 100ms);
    return answer;
  }

  // Everything currently on one partition, read at once (no waiting).
  std::vector<Record> readPartition(const std::string& topic, int32_t partition) {
    std::vector<Record> records;
    auto status = reader_->readToEnd(
        topic, partition, 0,
        [&](const rd_kafka_message_t& m) {
          Record r;
          r.key = std::string(kafka::messageKey(&m));
          r.value = std::string(kafka::messageValue(&m));
          r.event_id = std::string(kafka::messageHeader(&m, kafka::kIdHeader).value_or(""));
          r.event_type = std::string(kafka::messageHeader(&m, kafka::kTypeHeader).value_or(""));
          records.push_back(std::move(r));
          return okStatus();
        },
        10s);
    EXPECT_TRUE(status.has_value()) << status.error().describe();
    return records;
  }

  // Waits until the partition holds at least `count` records.
  std::vector<Record> awaitRecords(const std::string& topic, int32_t partition, size_t count) {
    std::vector<Record> records;
    testing::eventually(
        [&] {
          records = readPartition(topic, partition);
          return records.size() >= count;
        },
        15s);
    return records;
  }

  size_t totalRecords(const std::string& topic, int32_t partitions) {
    size_t total = 0;
    for (int32_t p = 0; p < partitions; ++p) total += readPartition(topic, p).size();
    return total;
  }

  double metric(const std::string& series) { return metricValue(metrics_.render(), series); }

  Topics topics_;
  kafka::KafkaSettings settings_;
  metrics::MetricsRegistry metrics_;
  connectors::ConnectorRegistry registry_;
  std::unique_ptr<kafka::EmbeddedCluster> cluster_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::PartitionReader> reader_;
  std::unique_ptr<connectors::IngressHost> host_;
  std::unique_ptr<router::AgentApi> agents_;
  std::unique_ptr<http::HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(IngressTest, ChatMessageIsOnTheInboundTopicWhenAccepted) {
  start();
  auto response =
      post("/v1/chat/messages", kChatBody,
           {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  ASSERT_EQ(response->status, 202) << response->body;
  boost::json::value answer = boost::json::parse(response->body);
  std::string event_id(answer.at("event_id").as_string());
  EXPECT_EQ(answer.at("status").as_string(), "accepted");
  EXPECT_EQ(answer.at("idempotency_key").as_string(), "chat:v-42:c-1");

  // Accepted means durable: the record is there already, no waiting.
  int32_t partition = kafka::Producer::partitionForKey("chat:v-42", kInboundPartitions);
  std::vector<Record> records = readPartition(topics_.inbound, partition);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "chat:v-42");
  EXPECT_EQ(records[0].event_id, event_id);
  EXPECT_EQ(records[0].event_type, "switchboard.v1.InboundMessage");

  v1::InboundMessage message;
  ASSERT_TRUE(message.ParseFromString(records[0].value));
  EXPECT_EQ(message.channel(), v1::CHANNEL_CHAT);
  EXPECT_EQ(message.provider(), "webchat");
  EXPECT_EQ(message.sender().value(), "chat:v-42");
  EXPECT_EQ(message.sender().display_name(), "Ana");
  EXPECT_EQ(message.text(), "Hi there");
  EXPECT_EQ(message.language(), "pt-BR");
  EXPECT_EQ(message.thread().provider_conversation_id(), "s-9");
  EXPECT_EQ(message.attributes().at("page"), "/pricing");
  EXPECT_EQ(message.attributes().at("email"), "ana@example.com");
  EXPECT_EQ(message.envelope().event_id(), event_id);
  EXPECT_EQ(message.envelope().idempotency_key(), "chat:v-42:c-1");
  EXPECT_EQ(message.envelope().trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(message.envelope().producer(), "connector/chat");
  EXPECT_GT(message.envelope().received_at().seconds(), 0);

  EXPECT_EQ(metric(R"(switchboard_ingress_requests_total{channel="chat",outcome="accepted"})"), 1);
  EXPECT_EQ(metric(R"(switchboard_ingress_request_duration_seconds_count{channel="chat"})"), 1);
}

TEST_F(IngressTest, RetriedChatMessageKeepsItsEventId) {
  start();
  auto first = post("/v1/chat/messages", kChatBody);
  auto retry = post("/v1/chat/messages", kChatBody);
  ASSERT_TRUE(first.has_value() && retry.has_value());
  ASSERT_EQ(first->status, 202);
  ASSERT_EQ(retry->status, 202);
  EXPECT_EQ(boost::json::parse(first->body).at("event_id"),
            boost::json::parse(retry->body).at("event_id"));

  // Both land (the router's first stage drops the repeat), with the same sb-id.
  int32_t partition = kafka::Producer::partitionForKey("chat:v-42", kInboundPartitions);
  std::vector<Record> records = readPartition(topics_.inbound, partition);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].event_id, records[1].event_id);
  EXPECT_EQ(metric(R"(switchboard_ingress_requests_total{channel="chat",outcome="accepted"})"), 2);
}

TEST_F(IngressTest, MalformedJsonIsRejectedAndDeadLettered) {
  start();
  const std::string raw = R"({"visitor_id":"v-42","text":)";
  auto response = post("/v1/chat/messages", raw, {{"User-Agent", "widget/1.0"}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->header("Content-Type"), "application/json");
  boost::json::value error = boost::json::parse(response->body);
  EXPECT_EQ(error.at("error").at("code").as_string(), "malformed_json");
  EXPECT_FALSE(error.at("error").at("message").as_string().empty());

  std::vector<Record> letters = awaitRecords(topics_.dead_letters, 0, 1);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].key, "connector/chat");
  EXPECT_EQ(letters[0].event_type, "switchboard.v1.DeadLetter");
  v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters[0].value));
  EXPECT_EQ(letters[0].event_id, letter.envelope().event_id());
  EXPECT_EQ(letter.source(), "connector/chat");
  EXPECT_EQ(letter.reason(), "malformed_json");
  EXPECT_FALSE(letter.detail().empty());
  EXPECT_EQ(letter.payload(), raw);
  EXPECT_EQ(letter.content_type(), "application/json");
  EXPECT_EQ(letter.attributes().at("method"), "POST");
  EXPECT_EQ(letter.attributes().at("path"), "/v1/chat/messages");
  EXPECT_EQ(letter.attributes().at("remote").rfind("127.0.0.1", 0), 0u);
  EXPECT_EQ(letter.attributes().at("user_agent"), "widget/1.0");
  EXPECT_EQ(letter.envelope().producer(), "connector/chat");

  EXPECT_EQ(totalRecords(topics_.inbound, kInboundPartitions), 0u);
  EXPECT_EQ(metric(R"(switchboard_ingress_requests_total{channel="chat",outcome="rejected"})"), 1);
  EXPECT_EQ(metric(R"(switchboard_ingress_rejects_total{channel="chat",reason="malformed_json"})"),
            1);
  EXPECT_TRUE(testing::eventually([&] {
    return metric(
               R"(switchboard_dead_letters_total{reason="malformed_json",source="connector/chat"})") ==
           1;
  }));
}

// A body over the HTTP server's max_body_bytes (1 MiB by default) is not read whole, but it
// is answered like any refused request: 413 JSON, a truncated dead letter, a counter.
TEST_F(IngressTest, OversizedBodyIs413AndDeadLetteredTruncated) {
  start();
  const size_t size = 2 << 20;
  std::string big = R"({"visitor_id":"v-42","text":")";
  big.append(size - big.size() - 2, 'x');
  big += "\"}";
  ASSERT_EQ(big.size(), size);
  auto response = post("/v1/chat/messages", big, {{"User-Agent", "bulk/1"}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 413) << response->body;
  EXPECT_EQ(response->header("Content-Type"), "application/json");
  EXPECT_EQ(boost::json::parse(response->body).at("error").at("code").as_string(),
            "body_too_large");

  std::vector<Record> letters = awaitRecords(topics_.dead_letters, 0, 1);
  ASSERT_EQ(letters.size(), 1u);
  v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters[0].value));
  EXPECT_EQ(letter.source(), "connector/chat");
  EXPECT_EQ(letter.reason(), "body_too_large");
  EXPECT_EQ(letter.content_type(), "application/json");
  const size_t kept = connectors::IngressOptions{}.max_dead_letter_payload_bytes;
  EXPECT_EQ(letter.payload(), big.substr(0, kept));
  EXPECT_EQ(letter.attributes().at("payload_bytes"), std::to_string(size));
  EXPECT_EQ(letter.attributes().at("payload_truncated"), "true");
  EXPECT_EQ(letter.attributes().at("path"), "/v1/chat/messages");
  EXPECT_EQ(letter.attributes().at("user_agent"), "bulk/1");

  EXPECT_EQ(totalRecords(topics_.inbound, kInboundPartitions), 0u);
  EXPECT_EQ(metric(R"(switchboard_ingress_rejects_total{channel="chat",reason="body_too_large"})"),
            1);
  EXPECT_EQ(metric(R"(switchboard_ingress_requests_total{channel="chat",outcome="rejected"})"), 1);
  EXPECT_TRUE(testing::eventually([&] {
    return metric(
               R"(switchboard_dead_letters_total{reason="body_too_large",source="connector/chat"})") ==
           1;
  }));
}

// A path under /v1/ that no connector serves is refused like any bad request: 404 JSON naming
// what is served, a counter under channel "unknown", and (for requests carrying a payload) a
// dead letter kept to the unauthenticated size, since anyone can send it.
TEST_F(IngressTest, UnknownChannelIs404CountedAndDeadLettered) {
  start();
  auto probe = HttpClient::get(kLocalhost, port_, "/v1/fax/status");
  ASSERT_TRUE(probe.has_value()) << probe.error().describe();
  EXPECT_EQ(probe->status, 404);
  const std::string body(10'000, 'f');
  auto response = post("/v1/fax/webhook", body, {{"User-Agent", "faxgate/2"}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->header("Content-Type"), "application/json");
  boost::json::value error = boost::json::parse(response->body);
  EXPECT_EQ(error.at("error").at("code").as_string(), "unknown_channel");
  const std::string message(error.at("error").at("message").as_string());
  EXPECT_NE(message.find("POST /v1/fax/webhook"), std::string::npos) << message;
  EXPECT_NE(message.find("POST /v1/chat/messages"), std::string::npos) << message;

  // One dead letter: the GET carried nothing worth keeping.
  std::vector<Record> letters = awaitRecords(topics_.dead_letters, 0, 1);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].key, "ingress");
  v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters[0].value));
  EXPECT_EQ(letter.source(), "ingress");
  EXPECT_EQ(letter.reason(), "unknown_channel");
  EXPECT_EQ(letter.attributes().at("path"), "/v1/fax/webhook");
  EXPECT_EQ(letter.attributes().at("user_agent"), "faxgate/2");
  const size_t kept = connectors::IngressOptions{}.max_unauthenticated_payload_bytes;
  EXPECT_EQ(letter.payload(), body.substr(0, kept));
  EXPECT_EQ(letter.attributes().at("payload_bytes"), std::to_string(body.size()));

  EXPECT_EQ(totalRecords(topics_.inbound, kInboundPartitions), 0u);
  EXPECT_EQ(
      metric(R"(switchboard_ingress_rejects_total{channel="unknown",reason="unknown_channel"})"),
      2);
  EXPECT_TRUE(testing::eventually([&] {
    return metric(R"(switchboard_dead_letters_total{reason="unknown_channel",source="ingress"})") ==
           1;
  }));
  // The connectors' own routes are unaffected.
  auto chat = post("/v1/chat/messages", kChatBody);
  ASSERT_TRUE(chat.has_value()) << chat.error().describe();
  EXPECT_EQ(chat->status, 202) << chat->body;
}

TEST_F(IngressTest, WrongContentTypeIs415) {
  start();
  auto response = post("/v1/chat/messages", kChatBody, {{"Content-Type", "text/plain"}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 415);
  EXPECT_EQ(boost::json::parse(response->body).at("error").at("code").as_string(),
            "wrong_content_type");
  std::vector<Record> letters = awaitRecords(topics_.dead_letters, 0, 1);
  ASSERT_EQ(letters.size(), 1u);
  v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters[0].value));
  EXPECT_EQ(letter.reason(), "wrong_content_type");
  EXPECT_EQ(letter.content_type(), "text/plain");
  EXPECT_EQ(
      metric(R"(switchboard_ingress_rejects_total{channel="chat",reason="wrong_content_type"})"),
      1);
}

TEST_F(IngressTest, MissingFieldIs400) {
  start();
  auto response = post("/v1/chat/messages", R"({"text":"Hi"})");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(boost::json::parse(response->body).at("error").at("code").as_string(), "missing_field");
}

TEST_F(IngressTest, MetaWebhookProducesOneRecordPerMessageAndCountsNotices) {
  constexpr std::string_view kAppSecret = "meta-app-secret-for-tests";
  connectors::meta::MetaSettings meta;
  meta.app_secret = kAppSecret;
  meta.verify_token = "verify-me";
  start({.meta = meta});

  auto handshake = HttpClient::get(
      kLocalhost, port_,
      "/v1/meta/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me");
  ASSERT_TRUE(handshake.has_value()) << handshake.error().describe();
  EXPECT_EQ(handshake->status, 200) << handshake->body;
  EXPECT_EQ(handshake->body, "1158201444");

  // Two entries (two business numbers), three customer messages, a status and a reaction.
  const std::string body = testdata("meta/whatsapp_multi.json");
  auto unsigned_post = post("/v1/meta/webhook", body);
  ASSERT_TRUE(unsigned_post.has_value());
  EXPECT_EQ(unsigned_post->status, 401);
  auto forged = post("/v1/meta/webhook", body,
                     {{"X-Hub-Signature-256", hubSignature("not-the-secret", body)}});
  ASSERT_TRUE(forged.has_value());
  EXPECT_EQ(forged->status, 403);
  EXPECT_EQ(boost::json::parse(forged->body).at("error").at("code").as_string(), "bad_signature");

  auto response =
      post("/v1/meta/webhook", body, {{"X-Hub-Signature-256", hubSignature(kAppSecret, body)}});
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  ASSERT_EQ(response->status, 200) << response->body;
  boost::json::value answer = boost::json::parse(response->body);
  EXPECT_EQ(answer.at("messages").to_number<int>(), 3);
  EXPECT_EQ(answer.at("notices").to_number<int>(), 2);

  // Accepted means durable: every message is on the inbound topic, keyed by its sender.
  std::set<std::string> ids;
  for (const std::string sender : {"+16505551234", "+60173526233", "+16315551181"}) {
    int32_t partition = kafka::Producer::partitionForKey(sender, kInboundPartitions);
    size_t found = 0;
    for (const Record& record : readPartition(topics_.inbound, partition)) {
      if (record.key != sender) continue;
      ++found;
      v1::InboundMessage message;
      ASSERT_TRUE(message.ParseFromString(record.value));
      EXPECT_EQ(message.channel(), v1::CHANNEL_WHATSAPP);
      EXPECT_EQ(message.provider(), "meta");
      EXPECT_EQ(message.sender().value(), sender);
      EXPECT_EQ(message.envelope().producer(), "connector/meta");
      EXPECT_EQ(record.event_id, message.envelope().event_id());
      EXPECT_EQ(record.event_type, "switchboard.v1.InboundMessage");
      ids.insert(record.event_id);
    }
    EXPECT_EQ(found, 1u) << sender;
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(totalRecords(topics_.inbound, kInboundPartitions), 3u);
  EXPECT_EQ(metric(R"(switchboard_ingress_notices_total{channel="meta",kind="status"})"), 1);
  EXPECT_EQ(metric(R"(switchboard_ingress_notices_total{channel="meta",kind="reaction"})"), 1);

  // Delivery statuses only: answered at once, nothing produced, counted as notices.
  const std::string statuses = testdata("meta/whatsapp_status_only.json");
  auto receipts = post("/v1/meta/webhook", statuses,
                       {{"X-Hub-Signature-256", hubSignature(kAppSecret, statuses)}});
  ASSERT_TRUE(receipts.has_value()) << receipts.error().describe();
  ASSERT_EQ(receipts->status, 200) << receipts->body;
  EXPECT_EQ(boost::json::parse(receipts->body).at("messages").to_number<int>(), 0);
  EXPECT_EQ(totalRecords(topics_.inbound, kInboundPartitions), 3u);
  EXPECT_EQ(metric(R"(switchboard_ingress_notices_total{channel="meta",kind="status"})"), 3);
  EXPECT_EQ(metric(R"(switchboard_ingress_requests_total{channel="meta",outcome="accepted"})"), 3);
  EXPECT_EQ(metric(R"(switchboard_ingress_rejects_total{channel="meta",reason="bad_signature"})"),
            1);
}

TEST_F(IngressTest, AgentPresenceBecomesAnAgentEvent) {
  start();
  auto response =
      agentPost("/v1/agents/alice/presence", R"({"domain":"support","presence":"available",
      "capacities":{"chat":3,"email":5},"skills":["en","billing"],"display_name":"Alice"})");
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  ASSERT_EQ(response->status, 202) << response->body;
  std::string event_id(boost::json::parse(response->body).at("event_id").as_string());

  int32_t partition = kafka::Producer::partitionForKey("support", kAgentEventPartitions);
  std::vector<Record> records = readPartition(topics_.agent_events, partition);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "support");
  EXPECT_EQ(records[0].event_id, event_id);
  EXPECT_EQ(records[0].event_type, "switchboard.v1.AgentEvent");
  v1::AgentEvent event;
  ASSERT_TRUE(event.ParseFromString(records[0].value));
  EXPECT_EQ(event.agent_id(), "alice");
  EXPECT_EQ(event.domain(), "support");
  ASSERT_TRUE(event.has_presence());
  EXPECT_EQ(event.presence().presence(), v1::PRESENCE_AVAILABLE);
  ASSERT_EQ(event.presence().capacities_size(), 2);
  for (const auto& capacity : event.presence().capacities()) {
    if (capacity.channel() == v1::CHANNEL_CHAT) {
      EXPECT_EQ(capacity.max_concurrent(), 3u);
    } else {
      EXPECT_EQ(capacity.channel(), v1::CHANNEL_EMAIL);
      EXPECT_EQ(capacity.max_concurrent(), 5u);
    }
  }
  ASSERT_EQ(event.presence().skills_size(), 2);
  EXPECT_EQ(event.presence().skills(0), "en");
  EXPECT_EQ(event.presence().skills(1), "billing");
  EXPECT_EQ(event.presence().display_name(), "Alice");
  EXPECT_EQ(event.envelope().event_id(), event_id);
  EXPECT_EQ(event.envelope().producer(), "api/agents");
  EXPECT_EQ(event.envelope().trace_id().size(), 32u);
  EXPECT_EQ(metric(R"(switchboard_agent_api_requests_total{action="presence",outcome="accepted"})"),
            1);
}

TEST_F(IngressTest, AgentCompleteUsesDefaultDomainAndRequestId) {
  start();
  const std::string body = R"({"work_item_id":"wi-7","request_id":"r-1"})";
  auto first = agentPost("/v1/agents/bob/complete", body);
  auto retry = agentPost("/v1/agents/bob/complete", body);
  ASSERT_TRUE(first.has_value() && retry.has_value());
  ASSERT_EQ(first->status, 202) << first->body;
  ASSERT_EQ(retry->status, 202) << retry->body;
  std::string event_id(boost::json::parse(first->body).at("event_id").as_string());
  EXPECT_EQ(boost::json::parse(retry->body).at("event_id").as_string(), event_id);

  int32_t partition = kafka::Producer::partitionForKey("default", kAgentEventPartitions);
  std::vector<Record> records = readPartition(topics_.agent_events, partition);
  ASSERT_EQ(records.size(), 2u);
  v1::AgentEvent event;
  ASSERT_TRUE(event.ParseFromString(records[0].value));
  EXPECT_EQ(records[0].key, "default");
  EXPECT_EQ(event.domain(), "default");
  EXPECT_EQ(event.agent_id(), "bob");
  ASSERT_TRUE(event.has_completed());
  EXPECT_EQ(event.completed().work_item_id(), "wi-7");
  EXPECT_EQ(records[1].event_id, event_id);

  // Without request_id every call is a new event.
  auto a = agentPost("/v1/agents/bob/complete", R"({"work_item_id":"wi-8"})");
  auto b = agentPost("/v1/agents/bob/complete", R"({"work_item_id":"wi-8"})");
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(boost::json::parse(a->body).at("event_id"), boost::json::parse(b->body).at("event_id"));
}

TEST_F(IngressTest, AgentApiRefusesBadRequests) {
  start();
  struct Case {
    std::string path;
    std::string body;
    int status;
  };
  for (const Case& c : std::vector<Case>{
           {"/v1/agents/alice/presence", R"({"presence":)", 400},
           {"/v1/agents/alice/presence", R"({"presence":"sleeping"})", 400},
           {"/v1/agents/alice/presence", R"({"capacities":{"chat":1}})", 400},
           {"/v1/agents/alice/presence", R"({"presence":"away","capacities":{"fax":1}})", 400},
           {"/v1/agents/alice/presence", R"({"presence":"away","capacities":{"chat":-1}})", 400},
           {"/v1/agents/alice/complete", R"({"pool_id":"default"})", 400},
           {"/v1/agents/alice/transfer",
            R"({"work_item_id":"w","to_agent_id":"b",)"
            R"("to_queue_id":"q"})",
            400},
           {"/v1/agents/alice/capacity", R"({"presence":"available"})", 400},
           {"/v1/agents/al%20ice/complete", R"({"work_item_id":"wi-1"})", 400},
           {"/v1/agents/alice/dance", R"({})", 404},
           {"/v1/agents/alice", R"({})", 404},
       }) {
    auto response = agentPost(c.path, c.body);
    ASSERT_TRUE(response.has_value()) << response.error().describe();
    EXPECT_EQ(response->status, c.status) << c.path << " " << c.body << " -> " << response->body;
    EXPECT_TRUE(boost::json::parse(response->body).as_object().contains("error"));
  }
  auto text = post(
      "/v1/agents/alice/presence", R"({"presence":"away"})",
      {{"Content-Type", "text/plain"}, {"Authorization", std::string("Bearer ") + kAgentToken}});
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->status, 415);
  EXPECT_EQ(totalRecords(topics_.agent_events, kAgentEventPartitions), 0u);
}

TEST_F(IngressTest, AgentApiRequiresTheBearerTokenWhenConfigured) {
  start({.bearer_token = "s3cret-token"});
  const std::string body = R"({"presence":"away"})";
  auto none = post("/v1/agents/alice/presence", body);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->status, 401);
  EXPECT_TRUE(none->header("WWW-Authenticate").has_value());

  auto wrong = post("/v1/agents/alice/presence", body, {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 401);

  auto basic = post("/v1/agents/alice/presence", body, {{"Authorization", "Basic s3cret-token"}});
  ASSERT_TRUE(basic.has_value());
  EXPECT_EQ(basic->status, 401);

  auto right = post("/v1/agents/alice/presence", body, {{"Authorization", "bearer s3cret-token"}});
  ASSERT_TRUE(right.has_value());
  EXPECT_EQ(right->status, 202) << right->body;
  EXPECT_EQ(
      metric(
          R"(switchboard_agent_api_requests_total{action="presence",outcome="unauthenticated"})"),
      3);
}

TEST_F(IngressTest, KafkaUnavailableAnswers503WithRetryAfter) {
  start({.delivery_timeout = 1500ms});
  rd_kafka_mock_broker_set_down(cluster_->mock(), 1);

  auto chat = post("/v1/chat/messages", kChatBody);
  ASSERT_TRUE(chat.has_value()) << chat.error().describe();
  EXPECT_EQ(chat->status, 503) << chat->body;
  EXPECT_EQ(chat->header("Retry-After"), "5");
  EXPECT_EQ(boost::json::parse(chat->body).at("error").at("code").as_string(), "unavailable");

  auto agent = agentPost("/v1/agents/alice/presence", R"({"presence":"away"})");
  ASSERT_TRUE(agent.has_value()) << agent.error().describe();
  EXPECT_EQ(agent->status, 503) << agent->body;
  EXPECT_EQ(agent->header("Retry-After"), "5");

  std::string rendered = metrics_.render();
  EXPECT_EQ(
      metricValue(rendered,
                  R"(switchboard_ingress_requests_total{channel="chat",outcome="unavailable"})"),
      1);
  EXPECT_EQ(metricValue(rendered,
                        R"(switchboard_ingress_requests_total{channel="chat",outcome="accepted"})"),
            0);
  EXPECT_EQ(metricValue(
                rendered,
                R"(switchboard_agent_api_requests_total{action="presence",outcome="unavailable"})"),
            1);

  // Once Kafka is back, the sender's retry succeeds with the same event id.
  rd_kafka_mock_broker_set_up(cluster_->mock(), 1);
  std::optional<HttpResponse> retried = retryWhileUnavailable("/v1/chat/messages", kChatBody);
  ASSERT_TRUE(retried.has_value());
  EXPECT_EQ(retried->status, 202) << retried->body;
  EXPECT_EQ(boost::json::parse(retried->body).at("idempotency_key").as_string(), "chat:v-42:c-1");
}

TEST_F(IngressTest, KafkaErrorsOnProduceAnswer503) {
  start({.delivery_timeout = 1500ms});
  // Every Produce request (API key 0) fails with a retriable error: more errors queued than
  // the producer can retry within its 1.5 s delivery timeout.
  constexpr int16_t kProduceApiKey = 0;
  std::vector<rd_kafka_resp_err_t> errors(500, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  rd_kafka_mock_push_request_errors_array(cluster_->mock(), kProduceApiKey, errors.size(),
                                          errors.data());
  auto chat = post("/v1/chat/messages", kChatBody);
  ASSERT_TRUE(chat.has_value()) << chat.error().describe();
  EXPECT_EQ(chat->status, 503) << chat->body;
  EXPECT_EQ(chat->header("Retry-After"), "5");
}

// A 4xx means "dead-lettered": it goes out only once the dead letter is durable. With Kafka
// down past the delivery timeout, a refused request is answered 503 + Retry-After instead (the
// failure counted), and the sender's retry is refused and dead-lettered once Kafka is back.
TEST_F(IngressTest, ARefusalIsAnsweredOnlyOnceItsDeadLetterIsDurable) {
  start({.delivery_timeout = 1500ms});
  const std::string raw = R"({"visitor_id": "v-42", "text": )";
  rd_kafka_mock_broker_set_down(cluster_->mock(), 1);

  auto refused = post("/v1/chat/messages", raw);
  ASSERT_TRUE(refused.has_value()) << refused.error().describe();
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(refused->header("Retry-After"), "5");
  std::string rendered = metrics_.render();
  EXPECT_EQ(
      metricValue(rendered, R"(switchboard_dead_letter_failures_total{source="connector/chat"})"),
      1);
  EXPECT_EQ(metricValue(rendered,
                        R"(switchboard_ingress_requests_total{channel="chat",outcome="rejected"})"),
            0);
  EXPECT_EQ(host_->admittedRequests(), 0);

  rd_kafka_mock_broker_set_up(cluster_->mock(), 1);
  std::optional<HttpResponse> retried = retryWhileUnavailable("/v1/chat/messages", raw);
  ASSERT_TRUE(retried.has_value());
  EXPECT_EQ(retried->status, 400) << retried->body;
  // Counted when answered, not eventually: the record was acknowledged before the 400.
  EXPECT_EQ(
      metric(R"(switchboard_dead_letters_total{reason="malformed_json",source="connector/chat"})"),
      1);
  EXPECT_EQ(metric(R"(switchboard_ingress_requests_total{channel="chat",outcome="rejected"})"), 1);
  std::vector<Record> letters = awaitRecords(topics_.dead_letters, 0, 1);
  ASSERT_GE(letters.size(), 1u);
  v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters.back().value));
  EXPECT_EQ(letter.payload(), raw);
  EXPECT_EQ(host_->admittedRequests(), 0);
}

TEST_F(IngressTest, AgentApiWithoutATokenRefusesEveryCall) {
  start({.bearer_token = ""});
  auto anonymous = post("/v1/agents/alice/presence", R"({"presence":"away"})");
  ASSERT_TRUE(anonymous.has_value()) << anonymous.error().describe();
  EXPECT_EQ(anonymous->status, 401) << anonymous->body;
  auto with_some_token = agentPost("/v1/agents/alice/presence", R"({"presence":"away"})");
  ASSERT_TRUE(with_some_token.has_value());
  EXPECT_EQ(with_some_token->status, 401) << with_some_token->body;
  EXPECT_EQ(totalRecords(topics_.agent_events, kAgentEventPartitions), 0u);
}

TEST_F(IngressTest, AgentApiRunsOpenOnlyWhenExplicitlyInsecure) {
  start({.bearer_token = "", .allow_unauthenticated = true});
  auto anonymous = post("/v1/agents/alice/presence", R"({"presence":"away"})");
  ASSERT_TRUE(anonymous.has_value()) << anonymous.error().describe();
  EXPECT_EQ(anonymous->status, 202) << anonymous->body;
}

// A chat message with its own message id: a new event each.
std::string chatBody(const std::string& message_id) {
  return R"({"visitor_id":"v-bp","message_id":")" + message_id + R"(","text":"Hello"})";
}

// Kafka down, the delivery timeout far away: the first requests wait for Kafka, up to the
// in-flight limit; every request beyond it is answered 503 + Retry-After at once (no
// buffering), counted on /metrics. Once Kafka is back the waiting ones are stored and answered
// 202, and new requests are accepted again.
TEST_F(IngressTest, BackPressureAnswers503AtOnceWhileKafkaIsDownThenRecovers) {
  constexpr int kLimit = 4;
  constexpr int kRefused = 16;
  start({.delivery_timeout = 45s, .max_inflight_requests = kLimit});
  rd_kafka_mock_broker_set_down(cluster_->mock(), 1);

  const auto send = [&](const std::string& id) {
    return HttpClient::post(kLocalhost, port_, "/v1/chat/messages", chatBody(id), {}, 60s);
  };
  std::vector<std::future<Result<HttpResponse>>> waiting;
  for (int i = 0; i < kLimit; ++i) {
    waiting.push_back(std::async(std::launch::async, send, "bp-wait-" + std::to_string(i)));
  }
  ASSERT_TRUE(testing::eventually(
      [&] { return metric("switchboard_ingress_inflight_requests") == kLimit; }, 15s));
  EXPECT_GT(metric("switchboard_ingress_inflight_bytes"), 0);

  // More concurrent requests than the limit: all refused at once, none waits for Kafka.
  std::vector<std::future<std::pair<Result<HttpResponse>, std::chrono::milliseconds>>> refused;
  for (int i = 0; i < kRefused; ++i) {
    refused.push_back(std::async(std::launch::async, [&, i] {
      const auto begin = std::chrono::steady_clock::now();
      auto response = send("bp-refused-" + std::to_string(i));
      return std::make_pair(std::move(response),
                            std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - begin));
    }));
  }
  for (auto& future : refused) {
    auto [response, elapsed] = future.get();
    ASSERT_TRUE(response.has_value()) << response.error().describe();
    EXPECT_EQ(response->status, 503) << response->body;
    EXPECT_EQ(response->header("Retry-After"), "5");
    EXPECT_EQ(boost::json::parse(response->body).at("error").at("code").as_string(), "overloaded");
    // Far below the 45 s the waiting requests can take: refused without waiting for Kafka.
    EXPECT_LT(elapsed, 5s);
  }
  auto scrape = HttpClient::get(kLocalhost, port_, "/metrics");
  ASSERT_TRUE(scrape.has_value()) << scrape.error().describe();
  EXPECT_EQ(
      metricValue(scrape->body,
                  R"(switchboard_ingress_backpressure_total{channel="chat",limit="requests"})"),
      kRefused);
  EXPECT_EQ(
      metricValue(scrape->body,
                  R"(switchboard_ingress_requests_total{channel="chat",outcome="unavailable"})"),
      kRefused);
  EXPECT_EQ(metricValue(scrape->body, "switchboard_ingress_inflight_requests"), kLimit);

  rd_kafka_mock_broker_set_up(cluster_->mock(), 1);
  for (auto& future : waiting) {
    auto response = future.get();
    ASSERT_TRUE(response.has_value()) << response.error().describe();
    EXPECT_EQ(response->status, 202) << response->body;
  }
  EXPECT_EQ(metric("switchboard_ingress_inflight_requests"), 0);
  EXPECT_EQ(metric("switchboard_ingress_inflight_bytes"), 0);
  auto again = send("bp-after");
  ASSERT_TRUE(again.has_value()) << again.error().describe();
  EXPECT_EQ(again->status, 202) << again->body;
  EXPECT_EQ(totalRecords(topics_.inbound, kInboundPartitions), static_cast<size_t>(kLimit + 1));
  EXPECT_EQ(totalRecords(topics_.dead_letters, 1), 0u);  // refused, not dead-lettered
}

// The byte limit: one request alone may exceed it, a second one waiting behind it may not.
TEST_F(IngressTest, BackPressureByBytesInFlight) {
  start({.delivery_timeout = 45s, .max_inflight_bytes = 1});
  rd_kafka_mock_broker_set_down(cluster_->mock(), 1);
  auto first = std::async(std::launch::async, [&] {
    return HttpClient::post(kLocalhost, port_, "/v1/chat/messages", chatBody("bytes-1"), {}, 60s);
  });
  ASSERT_TRUE(testing::eventually(
      [&] { return metric("switchboard_ingress_inflight_requests") == 1; }, 15s));

  auto second = post("/v1/chat/messages", chatBody("bytes-2"));
  ASSERT_TRUE(second.has_value()) << second.error().describe();
  EXPECT_EQ(second->status, 503) << second->body;
  EXPECT_EQ(second->header("Retry-After"), "5");
  EXPECT_EQ(metric(R"(switchboard_ingress_backpressure_total{channel="chat",limit="bytes"})"), 1);

  rd_kafka_mock_broker_set_up(cluster_->mock(), 1);
  auto stored = first.get();
  ASSERT_TRUE(stored.has_value()) << stored.error().describe();
  EXPECT_EQ(stored->status, 202) << stored->body;
  auto retried = post("/v1/chat/messages", chatBody("bytes-2"));
  ASSERT_TRUE(retried.has_value());
  EXPECT_EQ(retried->status, 202) << retried->body;
}

}  // namespace
}  // namespace switchboard
