// The chat WebSocket end to end: a real Beast WebSocket client against the real ingress host
// and HTTP server, on the embedded Kafka cluster. Frames become InboundMessages exactly like
// POST /v1/chat/messages bodies; each gets one ack in frame order, 2xx only once durable;
// bad frames get an error ack and a dead letter without ending the session; a Kafka outage
// acks 503 with retry_after.
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "connectors/ingress/ingress_host.h"
#include "connectors/register_all.h"
#include "core/http/http_server.h"
#include "core/kafka/embedded_cluster.h"
#include "core/kafka/partition_reader.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"
#include "core/topics.h"
#include "switchboard/v1/dead_letter.pb.h"
#include "switchboard/v1/inbound_message.pb.h"
#include "tests/integration/support/wait.h"
#include "tests/integration/support/websocket_client.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using testing::WebSocketClient;

constexpr int32_t kInboundPartitions = 4;
constexpr const char* kLocalhost = "127.0.0.1";
constexpr const char* kPath = "/v1/chat/ws";

struct Record {
  std::string key;
  std::string value;
  std::string event_id;
};

std::string chatFrame(std::string_view message_id, std::string_view text) {
  return R"({"visitor_id":"v-7","session_id":"s-1","message_id":")" + std::string(message_id) +
         R"(","text":")" + std::string(text) + R"("})";
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

class ChatWebSocketTest : public ::testing::Test {
 protected:
  void start(std::chrono::milliseconds delivery_timeout = 30000ms) {
    auto cluster = kafka::EmbeddedCluster::start();
    ASSERT_TRUE(cluster.has_value()) << cluster.error().describe();
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(
        cluster_->createTopics({{topics_.inbound, kInboundPartitions}, {topics_.dead_letters, 1}})
            .has_value());
    settings_ = cluster_->clientSettings();
    kafka::ProducerOptions producer_options;
    producer_options.delivery_timeout = delivery_timeout;
    auto producer = kafka::Producer::create(settings_, producer_options);
    ASSERT_TRUE(producer.has_value()) << producer.error().describe();
    producer_ = std::move(*producer);
    auto reader = kafka::PartitionReader::create(settings_);
    ASSERT_TRUE(reader.has_value()) << reader.error().describe();
    reader_ = std::move(*reader);

    ASSERT_TRUE(connectors::registerAllConnectors(registry_, {}).has_value());
    connectors::IngressOptions ingress_options;
    ingress_options.chat_websocket.socket.max_message_bytes = 4096;
    host_ = std::make_unique<connectors::IngressHost>(*producer_, topics_, metrics_, registry_,
                                                      ingress_options);
    http::ServerOptions server_options;
    server_options.address = kLocalhost;
    server_options.port = 0;
    server_ = std::make_unique<http::HttpServer>(server_options);
    host_->attach(*server_);
    auto started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().describe();
  }

  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    host_.reset();
    reader_.reset();
    producer_.reset();
    cluster_.reset();
  }

  void connect(WebSocketClient& ws) {
    auto connected =
        ws.connect(kLocalhost, server_->port(), kPath, {{"User-Agent", "chat-widget/3"}});
    ASSERT_TRUE(connected.has_value()) << connected.error().describe();
  }

  boost::json::value readAck(WebSocketClient& ws) {
    auto frame = ws.read();
    EXPECT_TRUE(frame.has_value()) << frame.error().describe();
    return frame.has_value() ? boost::json::parse(*frame) : boost::json::value();
  }

  std::vector<Record> readPartition(const std::string& topic, int32_t partition) {
    std::vector<Record> records;
    auto status = reader_->readToEnd(
        topic, partition, 0,
        [&](const rd_kafka_message_t& m) {
          records.push_back({std::string(kafka::messageKey(&m)),
                             std::string(kafka::messageValue(&m)),
                             std::string(kafka::messageHeader(&m, kafka::kIdHeader).value_or(""))});
          return okStatus();
        },
        10s);
    EXPECT_TRUE(status.has_value()) << status.error().describe();
    return records;
  }

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

  double metric(const std::string& series) { return metricValue(metrics_.render(), series); }

  Topics topics_;
  kafka::KafkaSettings settings_;
  metrics::MetricsRegistry metrics_;
  connectors::ConnectorRegistry registry_;
  std::unique_ptr<kafka::EmbeddedCluster> cluster_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::PartitionReader> reader_;
  std::unique_ptr<connectors::IngressHost> host_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(ChatWebSocketTest, ThreeFramesGetThreeAcksAndThreeInboundMessages) {
  start();
  WebSocketClient ws;
  connect(ws);
  EXPECT_EQ(metric("switchboard_chat_ws_connections"), 1);
  // Pipelined: all three are sent before any ack is read.
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(
        ws.sendText(chatFrame("m-" + std::to_string(i), "text " + std::to_string(i))).has_value());
  }
  std::vector<std::string> event_ids;
  for (int i = 1; i <= 3; ++i) {
    boost::json::value ack = readAck(ws);
    ASSERT_TRUE(ack.is_object());
    EXPECT_EQ(ack.at("status").as_int64(), 202) << ack;
    EXPECT_EQ(ack.at("message_id").as_string(), "m-" + std::to_string(i));
    EXPECT_EQ(ack.at("body").at("status").as_string(), "accepted");
    EXPECT_EQ(ack.at("body").at("idempotency_key").as_string(), "chat:v-7:m-" + std::to_string(i));
    event_ids.emplace_back(ack.at("body").at("event_id").as_string());
  }

  // An ack means durable: the three records are there already, in frame order.
  int32_t partition = kafka::Producer::partitionForKey("chat:v-7", kInboundPartitions);
  std::vector<Record> records = readPartition(topics_.inbound, partition);
  ASSERT_EQ(records.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(records[i].key, "chat:v-7");
    EXPECT_EQ(records[i].event_id, event_ids[i]);
    v1::InboundMessage message;
    ASSERT_TRUE(message.ParseFromString(records[i].value));
    EXPECT_EQ(message.channel(), v1::CHANNEL_CHAT);
    EXPECT_EQ(message.text(), "text " + std::to_string(i + 1));
    EXPECT_EQ(message.provider_message_id(), "m-" + std::to_string(i + 1));
    EXPECT_EQ(message.thread().provider_conversation_id(), "s-1");
    EXPECT_EQ(message.envelope().producer(), "connector/chat");
  }
  EXPECT_EQ(metric(R"(switchboard_chat_ws_frames_total{outcome="accepted"})"), 3);
  EXPECT_EQ(metric(R"(switchboard_ingress_requests_total{channel="chat",outcome="accepted"})"), 3);

  ASSERT_TRUE(ws.close().has_value());
  EXPECT_TRUE(testing::eventually([&] {
    return metric("switchboard_chat_ws_connections") == 0 &&
           metric(R"(switchboard_chat_ws_closes_total{cause="peer_closed"})") == 1;
  }));
}

TEST_F(ChatWebSocketTest, BadFramesGetErrorAcksAndDeadLettersAndTheSessionStaysOpen) {
  start();
  WebSocketClient ws;
  connect(ws);
  const std::string malformed = R"({"visitor_id":"v-7","message_id":"m-x","text":)";
  const std::string missing_text = R"({"visitor_id":"v-7","message_id":"m-y"})";
  ASSERT_TRUE(ws.sendText(malformed).has_value());
  ASSERT_TRUE(ws.sendText(missing_text).has_value());
  ASSERT_TRUE(ws.sendText(chatFrame("m-ok", "still here")).has_value());

  boost::json::value first = readAck(ws);
  EXPECT_EQ(first.at("status").as_int64(), 400) << first;
  EXPECT_TRUE(first.at("message_id").is_null());  // not readable from broken JSON
  EXPECT_EQ(first.at("body").at("error").at("code").as_string(), "malformed_json");
  boost::json::value second = readAck(ws);
  EXPECT_EQ(second.at("status").as_int64(), 400) << second;
  EXPECT_EQ(second.at("message_id").as_string(), "m-y");
  EXPECT_EQ(second.at("body").at("error").at("code").as_string(), "missing_field");
  boost::json::value third = readAck(ws);
  EXPECT_EQ(third.at("status").as_int64(), 202) << third;
  EXPECT_EQ(third.at("message_id").as_string(), "m-ok");

  std::vector<Record> letters = awaitRecords(topics_.dead_letters, 0, 2);
  ASSERT_EQ(letters.size(), 2u);
  v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters[0].value));
  EXPECT_EQ(letter.source(), "connector/chat");
  EXPECT_EQ(letter.reason(), "malformed_json");
  EXPECT_EQ(letter.payload(), malformed);
  EXPECT_EQ(letter.content_type(), "application/json");
  EXPECT_EQ(letter.attributes().at("path"), "/v1/chat/messages");
  EXPECT_EQ(letter.attributes().at("user_agent"), "chat-widget/3");
  EXPECT_EQ(letter.attributes().at("remote"), "127.0.0.1");
  ASSERT_TRUE(letter.ParseFromString(letters[1].value));
  EXPECT_EQ(letter.reason(), "missing_field");
  EXPECT_EQ(letter.payload(), missing_text);

  EXPECT_EQ(metric(R"(switchboard_chat_ws_frame_rejects_total{reason="malformed_json"})"), 1);
  EXPECT_EQ(metric(R"(switchboard_chat_ws_frame_rejects_total{reason="missing_field"})"), 1);
  EXPECT_EQ(metric(R"(switchboard_chat_ws_frames_total{outcome="rejected"})"), 2);
  EXPECT_EQ(metric(R"(switchboard_chat_ws_frames_total{outcome="accepted"})"), 1);
  EXPECT_EQ(metric("switchboard_chat_ws_connections"), 1);
}

TEST_F(ChatWebSocketTest, KafkaDownAcks503WithRetryAfter) {
  start(1500ms);
  WebSocketClient ws;
  connect(ws);
  rd_kafka_mock_broker_set_down(cluster_->mock(), 1);
  ASSERT_TRUE(ws.sendText(chatFrame("m-1", "hello?")).has_value());
  boost::json::value ack = readAck(ws);
  EXPECT_EQ(ack.at("status").as_int64(), 503) << ack;
  EXPECT_EQ(ack.at("message_id").as_string(), "m-1");
  EXPECT_EQ(ack.at("retry_after").as_int64(), 5);
  EXPECT_EQ(ack.at("body").at("error").at("code").as_string(), "unavailable");
  EXPECT_EQ(metric(R"(switchboard_chat_ws_frames_total{outcome="unavailable"})"), 1);

  // The session survives the outage: once Kafka is back, the same frame is accepted.
  rd_kafka_mock_broker_set_up(cluster_->mock(), 1);
  bool accepted = testing::eventually(
      [&] {
        if (!ws.sendText(chatFrame("m-1", "hello?")).has_value()) return false;
        boost::json::value retry = readAck(ws);
        return retry.is_object() && retry.at("status").as_int64() == 202;
      },
      30s, 100ms);
  EXPECT_TRUE(accepted);
}

TEST_F(ChatWebSocketTest, OversizedFrameClosesWith1009AndIsCounted) {
  start();
  WebSocketClient ws;
  connect(ws);
  ASSERT_TRUE(ws.sendText(chatFrame("m-big", std::string(5000, 'x'))).has_value());
  auto closed = ws.read();
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(ws.closeCode(), 1009);
  EXPECT_TRUE(testing::eventually([&] {
    return metric(R"(switchboard_chat_ws_frame_rejects_total{reason="frame_too_large"})") == 1 &&
           metric("switchboard_chat_ws_connections") == 0;
  }));
}

TEST_F(ChatWebSocketTest, BinaryFrameClosesWith1003) {
  start();
  WebSocketClient ws;
  connect(ws);
  ASSERT_TRUE(ws.sendBinary(chatFrame("m-bin", "hi")).has_value());
  auto closed = ws.read();
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(ws.closeCode(), 1003);
  EXPECT_TRUE(testing::eventually([&] {
    return metric(R"(switchboard_chat_ws_frame_rejects_total{reason="binary_frame"})") == 1;
  }));
}

}  // namespace
}  // namespace switchboard
