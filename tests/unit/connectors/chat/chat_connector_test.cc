#include "connectors/chat/chat_connector.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "core/crypto/digest.h"

namespace switchboard::connectors::chat {
namespace {

using std::chrono::system_clock;

// 2024-05-01T12:00:00.250Z
const system_clock::time_point kNow =
    system_clock::time_point(std::chrono::seconds(1714564800)) + std::chrono::milliseconds(250);

constexpr std::string_view kGoldenBody = R"({
  "visitor_id": "v-42",
  "message_id": "c-1",
  "session_id": "s-9",
  "text": "Hi, I have a question about pricing",
  "name": "Ana",
  "email": "Ana@Example.COM",
  "language": "pt-BR",
  "attributes": {"page": "/pricing", "plan": "pro"}
})";

http::Request chatRequest(std::string body, std::string content_type = "application/json") {
  http::Request request;
  request.method = "POST";
  request.target = "/v1/chat/messages";
  request.path = "/v1/chat/messages";
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  request.body = std::move(body);
  request.remote_address = "127.0.0.1";
  return request;
}

ConnectorResult<NormalizedBatch> normalize(const http::Request& request,
                                           ChatSettings settings = {}) {
  return ChatConnector(settings).normalize(request, kNow);
}

void expectRejected(const ConnectorResult<NormalizedBatch>& result, Errc code,
                    std::string_view reason) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), code) << result.error().detail();
  EXPECT_EQ(result.error().reason(), reason) << result.error().detail();
  EXPECT_FALSE(result.error().detail().empty());
}

bool isLowerHex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(ChatConnectorTest, DescribesItself) {
  ChatConnector connector;
  EXPECT_EQ(connector.name(), "chat");
  EXPECT_EQ(connector.channel(), v1::CHANNEL_CHAT);
  ASSERT_EQ(connector.routes().size(), 1u);
  EXPECT_EQ(connector.routes()[0].method, "POST");
  EXPECT_EQ(connector.routes()[0].path, "/v1/chat/messages");
}

TEST(ChatConnectorTest, NormalizesEveryField) {
  auto result = normalize(chatRequest(std::string(kGoldenBody)));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  ASSERT_EQ(result->messages.size(), 1u);
  const v1::InboundMessage& m = result->messages[0];

  EXPECT_EQ(m.channel(), v1::CHANNEL_CHAT);
  EXPECT_EQ(m.provider(), "webchat");
  EXPECT_EQ(m.sender().channel(), v1::CHANNEL_CHAT);
  EXPECT_EQ(m.sender().value(), "chat:v-42");
  EXPECT_EQ(m.sender().display_name(), "Ana");
  EXPECT_FALSE(m.has_recipient());
  EXPECT_EQ(m.thread().provider_conversation_id(), "s-9");
  EXPECT_EQ(m.text(), "Hi, I have a question about pricing");
  EXPECT_EQ(m.language(), "pt-BR");
  EXPECT_EQ(m.provider_message_id(), "c-1");
  ASSERT_EQ(m.attributes_size(), 3);
  EXPECT_EQ(m.attributes().at("page"), "/pricing");
  EXPECT_EQ(m.attributes().at("plan"), "pro");
  EXPECT_EQ(m.attributes().at("email"), "ana@example.com");

  const v1::Envelope& e = m.envelope();
  EXPECT_EQ(e.idempotency_key(), "chat:v-42:c-1");
  EXPECT_EQ(e.event_id(), "in-" + crypto::sha256Hex("chat:v-42:c-1").substr(0, 32));
  EXPECT_EQ(e.trace_id().size(), 32u);
  EXPECT_TRUE(isLowerHex(e.trace_id()));
  EXPECT_EQ(e.received_at().seconds(), 1714564800);
  EXPECT_EQ(e.received_at().nanos(), 250'000'000);
  EXPECT_EQ(e.created_at().seconds(), 1714564800);
  EXPECT_EQ(e.created_at().nanos(), 250'000'000);
  EXPECT_EQ(e.producer(), "connector/chat");
  EXPECT_TRUE(e.causation_id().empty());

  EXPECT_EQ(result->accepted.status, 202);
  EXPECT_EQ(result->accepted.content_type, "application/json");
  boost::json::value body = boost::json::parse(result->accepted.body);
  EXPECT_EQ(body.at("status").as_string(), "accepted");
  EXPECT_EQ(body.at("event_id").as_string(), e.event_id());
  EXPECT_EQ(body.at("idempotency_key").as_string(), "chat:v-42:c-1");
  EXPECT_EQ(body.at("message_id").as_string(), "c-1");
  EXPECT_EQ(body.at("message_id_generated").as_bool(), false);
}

TEST(ChatConnectorTest, MinimalMessageLeavesOptionalFieldsEmpty) {
  auto result = normalize(chatRequest(R"({"visitor_id":"v-1","message_id":"m","text":"yo"})"));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  const v1::InboundMessage& m = result->messages[0];
  EXPECT_EQ(m.sender().display_name(), "");
  EXPECT_FALSE(m.has_thread());
  EXPECT_EQ(m.language(), "");
  EXPECT_EQ(m.attributes_size(), 0);
}

TEST(ChatConnectorTest, SameMessageIdGivesSameEventId) {
  auto first = normalize(chatRequest(std::string(kGoldenBody)));
  auto retry = ChatConnector().normalize(chatRequest(std::string(kGoldenBody)),
                                         kNow + std::chrono::seconds(3));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(first->messages[0].envelope().event_id(), retry->messages[0].envelope().event_id());
  EXPECT_EQ(first->messages[0].envelope().idempotency_key(),
            retry->messages[0].envelope().idempotency_key());
  // Trace ids are per request when no traceparent came.
  EXPECT_NE(first->messages[0].envelope().trace_id(), retry->messages[0].envelope().trace_id());

  auto other = normalize(chatRequest(R"({"visitor_id":"v-42","message_id":"c-2","text":"Hi"})"));
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->messages[0].envelope().event_id(), first->messages[0].envelope().event_id());
}

TEST(ChatConnectorTest, GeneratesMessageIdWhenAbsentAndSaysSo) {
  std::string body = R"({"visitor_id":"v-42","text":"Hi"})";
  auto first = normalize(chatRequest(body));
  auto second = normalize(chatRequest(body));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  const v1::InboundMessage& m = first->messages[0];
  const std::string& id = m.provider_message_id();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');  // UUID version 4
  EXPECT_EQ(m.envelope().idempotency_key(), "chat:v-42:" + id);
  EXPECT_NE(m.envelope().event_id(), second->messages[0].envelope().event_id());

  boost::json::value answer = boost::json::parse(first->accepted.body);
  EXPECT_EQ(answer.at("message_id").as_string(), id);
  EXPECT_EQ(answer.at("message_id_generated").as_bool(), true);
  EXPECT_TRUE(answer.as_object().contains("warning"));
}

TEST(ChatConnectorTest, PropagatesTraceparent) {
  http::Request request = chatRequest(std::string(kGoldenBody));
  request.headers.emplace_back("traceparent",
                               "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto result = normalize(request);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->messages[0].envelope().trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(ChatConnectorTest, IgnoresInvalidTraceparent) {
  for (std::string bad :
       {"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "garbage"}) {
    http::Request request = chatRequest(std::string(kGoldenBody));
    request.headers.emplace_back("traceparent", bad);
    auto result = normalize(request);
    ASSERT_TRUE(result.has_value());
    const std::string& trace_id = result->messages[0].envelope().trace_id();
    EXPECT_EQ(trace_id.size(), 32u) << bad;
    EXPECT_TRUE(isLowerHex(trace_id)) << bad;
    EXPECT_EQ(bad.find(trace_id), std::string::npos) << bad;
  }
}

TEST(ChatConnectorTest, AcceptsFutureTraceparentVersion) {
  http::Request request = chatRequest(std::string(kGoldenBody));
  request.headers.emplace_back(
      "traceparent", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future");
  auto result = normalize(request);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->messages[0].envelope().trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(ChatConnectorTest, RejectsMalformedJson) {
  expectRejected(normalize(chatRequest(R"({"visitor_id":"v-42","text":)")), Errc::kMalformedInput,
                 "malformed_json");
  expectRejected(normalize(chatRequest("")), Errc::kMalformedInput, "malformed_json");
}

TEST(ChatConnectorTest, RejectsNonObjectJson) {
  expectRejected(normalize(chatRequest(R"(["visitor_id","v-42"])")), Errc::kMalformedInput,
                 "malformed_json");
}

TEST(ChatConnectorTest, RejectsMissingVisitorId) {
  auto result = normalize(chatRequest(R"({"message_id":"c-1","text":"Hi"})"));
  expectRejected(result, Errc::kMissingField, "missing_field");
  EXPECT_NE(result.error().detail().find("visitor_id"), std::string::npos);
}

TEST(ChatConnectorTest, RejectsMissingText) {
  auto result = normalize(chatRequest(R"({"visitor_id":"v-42"})"));
  expectRejected(result, Errc::kMissingField, "missing_field");
  EXPECT_NE(result.error().detail().find("text"), std::string::npos);
}

TEST(ChatConnectorTest, RejectsEmptyText) {
  expectRejected(normalize(chatRequest(R"({"visitor_id":"v-42","text":""})")),
                 Errc::kInvalidArgument, "empty_text");
  expectRejected(normalize(chatRequest(R"({"visitor_id":"v-42","text":" \n\t "})")),
                 Errc::kInvalidArgument, "empty_text");
}

TEST(ChatConnectorTest, RejectsTextOverLimitCountingCharactersNotBytes) {
  ChatSettings settings;
  settings.max_text_chars = 4;
  // Four characters, eight bytes: accepted.
  EXPECT_TRUE(normalize(chatRequest(R"({"visitor_id":"v","text":"ãéíõ"})"), settings).has_value());
  expectRejected(normalize(chatRequest(R"({"visitor_id":"v","text":"ãéíõú"})"), settings),
                 Errc::kTooLarge, "text_too_large");

  std::string eight_k(8192, 'a');
  EXPECT_TRUE(normalize(chatRequest(R"({"visitor_id":"v","text":")" + eight_k + "\"}")));
  expectRejected(normalize(chatRequest(R"({"visitor_id":"v","text":")" + eight_k + "a\"}")),
                 Errc::kTooLarge, "text_too_large");
}

TEST(ChatConnectorTest, RejectsWrongContentType) {
  std::string body(kGoldenBody);
  expectRejected(normalize(chatRequest(body, "text/plain")), Errc::kUnsupportedMediaType,
                 "wrong_content_type");
  expectRejected(normalize(chatRequest(body, "")), Errc::kUnsupportedMediaType,
                 "wrong_content_type");
  expectRejected(normalize(chatRequest(body, "application/json; charset=iso-8859-1")),
                 Errc::kUnsupportedMediaType, "wrong_content_type");
  EXPECT_TRUE(normalize(chatRequest(body, "Application/JSON; charset=\"UTF-8\"")).has_value());
}

TEST(ChatConnectorTest, RejectsTooManyAttributes) {
  ChatSettings settings;
  std::string attributes;
  for (size_t i = 0; i <= settings.max_attributes; ++i) {
    if (i > 0) attributes += ',';
    attributes += "\"k" + std::to_string(i) + "\":\"v\"";
  }
  auto result =
      normalize(chatRequest(R"({"visitor_id":"v","text":"Hi","attributes":{)" + attributes + "}}"));
  expectRejected(result, Errc::kTooLarge, "too_many_attributes");
}

TEST(ChatConnectorTest, RejectsNonStringAttribute) {
  auto result = normalize(
      chatRequest(R"({"visitor_id":"v","text":"Hi","attributes":{"page":"/p","cart":3}})"));
  expectRejected(result, Errc::kMalformedInput, "invalid_attribute");
  EXPECT_NE(result.error().detail().find("cart"), std::string::npos);
}

TEST(ChatConnectorTest, RejectsWrongFieldTypes) {
  expectRejected(normalize(chatRequest(R"({"visitor_id":42,"text":"Hi"})")), Errc::kMalformedInput,
                 "invalid_field");
  expectRejected(normalize(chatRequest(R"({"visitor_id":"v","text":["Hi"]})")),
                 Errc::kMalformedInput, "invalid_field");
  expectRejected(normalize(chatRequest(R"({"visitor_id":"v","text":"Hi","attributes":[]})")),
                 Errc::kMalformedInput, "invalid_field");
}

TEST(ChatConnectorTest, RejectsAmbiguousVisitorId) {
  // "a:b" + "c" and "a" + "b:c" would share the key "chat:a:b:c".
  expectRejected(normalize(chatRequest(R"({"visitor_id":"a:b","message_id":"c","text":"Hi"})")),
                 Errc::kMalformedInput, "invalid_field");
}

TEST(ChatConnectorTest, RejectsInvalidEmail) {
  expectRejected(normalize(chatRequest(R"({"visitor_id":"v","text":"Hi","email":"nope"})")),
                 Errc::kMalformedInput, "invalid_field");
}

TEST(ChatConnectorTest, RejectsOversizedBody) {
  ChatSettings settings;
  settings.max_body_bytes = 32;
  expectRejected(normalize(chatRequest(std::string(kGoldenBody)), settings), Errc::kTooLarge,
                 "body_too_large");
}

TEST(ChatConnectorTest, EmailFieldOverridesAttribute) {
  auto result = normalize(chatRequest(
      R"({"visitor_id":"v","text":"Hi","email":"A@B.io","attributes":{"email":"x@y.z"}})"));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->messages[0].attributes().at("email"), "a@b.io");
}

TEST(ChatConnectorTest, RegistersUnlessDisabled) {
  ConnectorRegistry registry;
  ASSERT_TRUE(registerChatConnector(registry, ChatSettings{}).has_value());
  EXPECT_NE(registry.find("chat"), nullptr);
  auto again = registerChatConnector(registry, ChatSettings{});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Errc::kConfig);

  ConnectorRegistry none;
  ChatSettings disabled;
  disabled.enabled = false;
  ASSERT_TRUE(registerChatConnector(none, disabled).has_value());
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace switchboard::connectors::chat
