#include "connectors/meta/meta_connector.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/crypto/digest.h"
#include "core/http/error_status.h"

namespace switchboard::connectors::meta {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::string_view kSecret = "3f9c1e0b7d2a4c58a6e1b0d9c7f2e4a1";
constexpr std::string_view kVerifyToken = "switchboard-verify-7Qx";

// 2024-05-01T12:00:00.250Z
const system_clock::time_point kNow =
    system_clock::time_point(std::chrono::seconds(1714564800)) + std::chrono::milliseconds(250);

// Golden payloads, shaped after Meta's documented webhook examples.
std::string fixture(std::string_view name) {
  std::filesystem::path path =
      std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / "meta" / std::string(name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "sha256=<lowercase hex>" computed here with OpenSSL, independently of the connector.
std::string sign(std::string_view body, std::string_view secret = kSecret) {
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

MetaSettings settings() {
  MetaSettings s;
  s.app_secret = kSecret;
  s.verify_token = kVerifyToken;
  return s;
}

http::Request post(std::string body, std::optional<std::string> signature = std::nullopt,
                   std::string content_type = "application/json") {
  http::Request request;
  request.method = "POST";
  request.target = "/v1/meta/webhook";
  request.path = "/v1/meta/webhook";
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  request.headers.emplace_back("X-Hub-Signature-256", signature ? *signature : sign(body));
  request.body = std::move(body);
  request.remote_address = "127.0.0.1";
  return request;
}

http::Request get(std::string query) {
  http::Request request;
  request.method = "GET";
  request.path = "/v1/meta/webhook";
  request.target = request.path + "?" + query;
  request.query = std::move(query);
  request.remote_address = "127.0.0.1";
  return request;
}

ConnectorResult<NormalizedBatch> normalize(const http::Request& request,
                                           const MetaSettings& s = settings()) {
  return MetaConnector(s).normalize(request, kNow);
}

NormalizedBatch accept(std::string_view fixture_name) {
  auto result = normalize(post(fixture(fixture_name)));
  EXPECT_TRUE(result.has_value()) << result.error().reason() << ": " << result.error().detail();
  if (!result.has_value()) return {};
  return std::move(*result);
}

void expectRejected(const ConnectorResult<NormalizedBatch>& result, Errc code,
                    std::string_view reason) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), code) << result.error().detail();
  EXPECT_EQ(result.error().reason(), reason) << result.error().detail();
  EXPECT_FALSE(result.error().detail().empty());
}

std::string eventIdFor(std::string_view message_id) {
  return "in-" + crypto::sha256Hex("meta:" + std::string(message_id)).substr(0, 32);
}

void expectEnvelope(const v1::InboundMessage& m, std::string_view message_id) {
  EXPECT_EQ(m.provider(), "meta");
  EXPECT_EQ(m.provider_message_id(), message_id);
  const v1::Envelope& e = m.envelope();
  EXPECT_EQ(e.idempotency_key(), "meta:" + std::string(message_id));
  EXPECT_EQ(e.event_id(), eventIdFor(message_id));
  EXPECT_EQ(e.trace_id().size(), 32u);
  EXPECT_EQ(e.received_at().seconds(), 1714564800);
  EXPECT_EQ(e.received_at().nanos(), 250'000'000);
  EXPECT_EQ(e.created_at().seconds(), 1714564800);
  EXPECT_EQ(e.producer(), "connector/meta");
  EXPECT_TRUE(e.causation_id().empty());
}

// --- Description and registration ---

TEST(MetaConnectorTest, DescribesItself) {
  MetaConnector connector(settings());
  EXPECT_EQ(connector.name(), "meta");
  EXPECT_EQ(connector.channel(), v1::CHANNEL_UNSPECIFIED);
  std::vector<Route> routes = connector.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].method, "GET");
  EXPECT_EQ(routes[0].path, "/v1/meta/webhook");
  EXPECT_EQ(routes[1].method, "POST");
  EXPECT_EQ(routes[1].path, "/v1/meta/webhook");
}

TEST(MetaConnectorTest, RegistersOnlyWhenConfiguredOrAsked) {
  ConnectorRegistry registry;
  ASSERT_TRUE(registerMetaConnector(registry, settings()).has_value());
  EXPECT_NE(registry.find("meta"), nullptr);
  auto again = registerMetaConnector(registry, settings());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Errc::kConfig);

  // Unset `enabled` follows the secrets.
  ConnectorRegistry unconfigured;
  ASSERT_TRUE(registerMetaConnector(unconfigured, MetaSettings{}).has_value());
  MetaSettings no_token = settings();
  no_token.verify_token.clear();
  ASSERT_TRUE(registerMetaConnector(unconfigured, no_token).has_value());
  EXPECT_TRUE(unconfigured.empty());

  MetaSettings disabled = settings();
  disabled.enabled = false;
  ASSERT_TRUE(registerMetaConnector(unconfigured, disabled).has_value());
  EXPECT_TRUE(unconfigured.empty());

  MetaSettings forced = no_token;
  forced.enabled = true;
  auto refused = registerMetaConnector(unconfigured, forced);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Errc::kConfig);
  EXPECT_TRUE(unconfigured.empty());
}

TEST(MetaConnectorTest, RefusesEverythingWithoutSecrets) {
  MetaSettings empty_secret = settings();
  empty_secret.app_secret.clear();
  std::string body = fixture("messenger_text.json");
  // Signed with the empty key, which would verify if the connector accepted one.
  expectRejected(normalize(post(body, sign(body, "")), empty_secret), Errc::kConfig,
                 "not_configured");
  expectRejected(normalize(get("hub.mode=subscribe&hub.verify_token=&hub.challenge=1"),
                           MetaSettings{.app_secret = "x"}),
                 Errc::kConfig, "not_configured");
}

TEST(MetaConnectorTest, ForbiddenMapsTo403) {
  EXPECT_EQ(http::httpStatusFor(Errc::kForbidden), 403);
  EXPECT_EQ(errcName(Errc::kForbidden), "forbidden");
  EXPECT_EQ(classify(Errc::kForbidden), ErrorClass::kPermanent);
}

// --- Verification handshake ---

TEST(MetaConnectorTest, VerificationEchoesTheChallenge) {
  auto result = normalize(
      get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=switchboard-verify-7Qx"));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_THAT(result->messages, IsEmpty());
  EXPECT_THAT(result->notices, IsEmpty());
  EXPECT_EQ(result->accepted.status, 200);
  EXPECT_EQ(result->accepted.content_type, "text/plain");
  EXPECT_EQ(result->accepted.body, "1158201444");
}

TEST(MetaConnectorTest, VerificationDecodesTheQuery) {
  MetaSettings s = settings();
  s.verify_token = "a token/with+signs&more";
  auto result = normalize(
      get("hub.verify_token=a+token%2Fwith%2Bsigns%26more&hub.challenge=42&hub.mode=subscribe"), s);
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_EQ(result->accepted.body, "42");
}

TEST(MetaConnectorTest, VerificationRefusesAWrongToken) {
  expectRejected(
      normalize(get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess")),
      Errc::kForbidden, "bad_verify_token");
  expectRejected(normalize(get("hub.mode=subscribe&hub.challenge=1158201444")), Errc::kForbidden,
                 "bad_verify_token");
  // A prefix of the token is not the token.
  expectRejected(normalize(get("hub.mode=subscribe&hub.challenge=1&hub.verify_token=switchboard")),
                 Errc::kForbidden, "bad_verify_token");
  expectRejected(normalize(get("hub.mode=subscribe&hub.challenge=1&hub.verify_token=%zz")),
                 Errc::kForbidden, "bad_verify_token");
}

TEST(MetaConnectorTest, VerificationRefusesAnotherMode) {
  expectRejected(normalize(get("hub.mode=unsubscribe&hub.challenge=1&"
                               "hub.verify_token=switchboard-verify-7Qx")),
                 Errc::kForbidden, "bad_verification");
  expectRejected(normalize(get("")), Errc::kForbidden, "bad_verification");
}

TEST(MetaConnectorTest, VerificationNeedsAPlainChallenge) {
  expectRejected(normalize(get("hub.mode=subscribe&hub.verify_token=switchboard-verify-7Qx")),
                 Errc::kMissingField, "missing_field");
  expectRejected(normalize(get("hub.mode=subscribe&hub.verify_token=switchboard-verify-7Qx&"
                               "hub.challenge=%3Cscript%3E")),
                 Errc::kMalformedInput, "invalid_field");
  expectRejected(normalize(get("hub.mode=subscribe&hub.verify_token=switchboard-verify-7Qx&"
                               "hub.challenge=" +
                               std::string(129, '7'))),
                 Errc::kMalformedInput, "invalid_field");
}

// --- Authentication and request-level refusals ---

TEST(MetaConnectorTest, RefusesAMissingSignature) {
  http::Request request = post(fixture("messenger_text.json"));
  request.headers.erase(request.headers.begin() + 1);  // X-Hub-Signature-256
  expectRejected(normalize(request), Errc::kUnauthenticated, "missing_signature");
  expectRejected(normalize(post(fixture("messenger_text.json"), "")), Errc::kUnauthenticated,
                 "missing_signature");
}

TEST(MetaConnectorTest, RefusesAWrongSignature) {
  std::string body = fixture("messenger_text.json");
  expectRejected(normalize(post(body, sign(body, "another-app-secret"))), Errc::kForbidden,
                 "bad_signature");
  // The SHA-1 header format of older integrations is not accepted.
  expectRejected(normalize(post(body, "sha1=0123456789abcdef0123456789abcdef01234567")),
                 Errc::kForbidden, "bad_signature");
  expectRejected(normalize(post(body, sign(body).substr(0, 70))), Errc::kForbidden,
                 "bad_signature");
  expectRejected(normalize(post(body, "sha256=" + std::string(64, 'g'))), Errc::kForbidden,
                 "bad_signature");
}

TEST(MetaConnectorTest, SignatureCoversEveryByte) {
  std::string body = fixture("messenger_text.json");
  std::string signature = sign(body);
  std::string tampered = body;
  tampered[tampered.find("hello")] = 'j';
  expectRejected(normalize(post(tampered, signature)), Errc::kForbidden, "bad_signature");
  std::string padded = body + "\n";
  expectRejected(normalize(post(padded, signature)), Errc::kForbidden, "bad_signature");
}

TEST(MetaConnectorTest, SignatureIsOverTheRawBytesNotTheParsedJson) {
  // Meta signs its own serialization, with \uXXXX escapes; the same JSON serialized again
  // (UTF-8, no spaces) has another signature.
  std::string raw = fixture("whatsapp_text.json");
  ASSERT_NE(raw.find("\\u00e1"), std::string::npos);
  std::string reserialized = boost::json::serialize(boost::json::parse(raw));
  ASSERT_NE(sign(raw), sign(reserialized));
  expectRejected(normalize(post(raw, sign(reserialized))), Errc::kForbidden, "bad_signature");
  auto result = normalize(post(raw, sign(raw)));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_EQ(result->messages[0].text(), "Olá, preciso de ajuda com o pedido 42 🙏");
}

TEST(MetaConnectorTest, AcceptsUppercaseHexSignature) {
  std::string body = fixture("messenger_text.json");
  std::string signature = sign(body);
  for (size_t i = 7; i < signature.size(); ++i) {
    signature[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(signature[i])));
  }
  EXPECT_TRUE(normalize(post(body, signature)).has_value());
}

TEST(MetaConnectorTest, RefusesWrongContentTypeAfterTheSignature) {
  std::string body = fixture("messenger_text.json");
  expectRejected(normalize(post(body, std::nullopt, "text/plain")), Errc::kUnsupportedMediaType,
                 "wrong_content_type");
  expectRejected(normalize(post(body, std::nullopt, "")), Errc::kUnsupportedMediaType,
                 "wrong_content_type");
  // Unsigned callers learn nothing about the content type.
  expectRejected(normalize(post(body, sign(body, "nope"), "text/plain")), Errc::kForbidden,
                 "bad_signature");
}

TEST(MetaConnectorTest, RefusesMalformedJson) {
  expectRejected(normalize(post(R"({"object":"page","entry":[)")), Errc::kMalformedInput,
                 "malformed_json");
  expectRejected(normalize(post("")), Errc::kMalformedInput, "malformed_json");
  expectRejected(normalize(post(R"(["object","page"])")), Errc::kMalformedInput, "malformed_json");
}

TEST(MetaConnectorTest, RefusesAMissingOrUnknownObject) {
  expectRejected(normalize(post(R"({"entry":[]})")), Errc::kMissingField, "missing_field");
  expectRejected(normalize(post(R"({"object":7,"entry":[]})")), Errc::kMalformedInput,
                 "invalid_field");
  auto unknown = normalize(post(R"({"object":"permissions","entry":[]})"));
  expectRejected(unknown, Errc::kInvalidArgument, "unknown_object");
  EXPECT_EQ(http::httpStatusFor(unknown.error().code()), 400);
}

TEST(MetaConnectorTest, RefusesAMissingEntryArray) {
  expectRejected(normalize(post(R"({"object":"page"})")), Errc::kMissingField, "missing_field");
  expectRejected(normalize(post(R"({"object":"page","entry":{}})")), Errc::kMalformedInput,
                 "invalid_field");
}

TEST(MetaConnectorTest, RefusesAnOversizedBodyBeforeHashingIt) {
  MetaSettings s = settings();
  s.max_body_bytes = 64;
  expectRejected(normalize(post(fixture("messenger_text.json"), "sha256=bogus"), s),
                 Errc::kTooLarge, "body_too_large");
}

// --- Messenger ---

TEST(MetaConnectorTest, MessengerTextWithReply) {
  NormalizedBatch batch = accept("messenger_text.json");
  ASSERT_EQ(batch.messages.size(), 1u);
  EXPECT_THAT(batch.notices, IsEmpty());
  const v1::InboundMessage& m = batch.messages[0];
  EXPECT_EQ(m.channel(), v1::CHANNEL_MESSENGER);
  EXPECT_EQ(m.sender().channel(), v1::CHANNEL_MESSENGER);
  EXPECT_EQ(m.sender().value(), "1254459154682919");
  EXPECT_EQ(m.sender().display_name(), "");
  EXPECT_EQ(m.sender().account_id(), "682498302938465");
  EXPECT_EQ(m.recipient().channel(), v1::CHANNEL_MESSENGER);
  EXPECT_EQ(m.recipient().value(), "682498302938465");
  EXPECT_EQ(m.recipient().account_id(), "682498302938465");
  EXPECT_EQ(m.text(), "hello, world!");
  EXPECT_EQ(m.thread().in_reply_to(), "m_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU");
  EXPECT_EQ(m.sent_at().seconds(), 1458692752);
  EXPECT_EQ(m.sent_at().nanos(), 478'000'000);
  EXPECT_EQ(m.attachments_size(), 0);
  EXPECT_EQ(m.attributes_size(), 0);
  expectEnvelope(m, "m_1457764197618:41d102a3e1ae206a38");

  EXPECT_EQ(batch.accepted.status, 200);
  EXPECT_EQ(batch.accepted.content_type, "application/json");
  boost::json::value answer = boost::json::parse(batch.accepted.body);
  EXPECT_EQ(answer.at("status").as_string(), "accepted");
  EXPECT_EQ(answer.at("messages").to_number<int>(), 1);
  EXPECT_EQ(answer.at("notices").to_number<int>(), 0);
}

TEST(MetaConnectorTest, MessengerQuickReplyPayloadIsAnAttribute) {
  NormalizedBatch batch = accept("messenger_quick_reply.json");
  ASSERT_EQ(batch.messages.size(), 1u);
  const v1::InboundMessage& m = batch.messages[0];
  EXPECT_EQ(m.text(), "Red");
  ASSERT_EQ(m.attributes_size(), 1);
  EXPECT_EQ(m.attributes().at("quick_reply"), "DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_RED");
  EXPECT_FALSE(m.has_thread());
  expectEnvelope(m, "mid.1457764197618:41d102a3e1ae206a38");
}

TEST(MetaConnectorTest, MessengerAttachments) {
  NormalizedBatch batch = accept("messenger_attachment.json");
  ASSERT_EQ(batch.messages.size(), 1u);
  const v1::InboundMessage& m = batch.messages[0];
  EXPECT_EQ(m.text(), "");
  ASSERT_EQ(m.attachments_size(), 2);
  EXPECT_EQ(m.attachments(0).content_type(), "image/*");
  EXPECT_EQ(m.attachments(0).url(), "https://scontent.xx.fbcdn.net/v/t1.15752-9/receipt.png");
  EXPECT_EQ(m.attachments(1).content_type(), "application/vnd.meta.fallback");
  EXPECT_EQ(m.attachments(1).url(), "https://example.com/order/42");
  EXPECT_EQ(m.sent_at().seconds(), 1518479195);
  expectEnvelope(m, "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c");
}

TEST(MetaConnectorTest, MessengerEchoReadAndDeliveryAreNoticesOnly) {
  for (auto [name, kind] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"messenger_echo.json", "echo"},
           {"messenger_read.json", "read"},
           {"messenger_delivery.json", "delivery"}}) {
    NormalizedBatch batch = accept(name);
    EXPECT_THAT(batch.messages, IsEmpty()) << name;
    EXPECT_THAT(batch.notices, ElementsAre(kind)) << name;
    EXPECT_EQ(batch.accepted.status, 200) << name;
    EXPECT_EQ(boost::json::parse(batch.accepted.body).at("notices").to_number<int>(), 1);
  }
}

TEST(MetaConnectorTest, MessengerBatchOfEntriesAndEvents) {
  NormalizedBatch batch = accept("messenger_batch.json");
  ASSERT_EQ(batch.messages.size(), 2u);
  EXPECT_EQ(batch.messages[0].text(), "first");
  EXPECT_EQ(batch.messages[0].sender().value(), "1254459154682919");
  EXPECT_EQ(batch.messages[1].text(), "second");
  EXPECT_EQ(batch.messages[1].sender().value(), "2290071917690233");
  EXPECT_NE(batch.messages[0].envelope().event_id(), batch.messages[1].envelope().event_id());
  // One trace per request.
  EXPECT_EQ(batch.messages[0].envelope().trace_id(), batch.messages[1].envelope().trace_id());
  // The message without a mid is skipped, not a reason to refuse the whole POST.
  EXPECT_THAT(batch.notices, ElementsAre("reaction", "postback", "unsupported", "standby"));
}

TEST(MetaConnectorTest, MessengerHandoverAndOtherEventsAreNotices) {
  std::string body = R"({"object":"page","entry":[{"id":"1","messaging":[
    {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,
     "pass_thread_control":{"new_owner_app_id":"123","metadata":"x"}},
    {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"optin":{"ref":"r"}},
    {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"referral":{"ref":"r"}},
    {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,
     "message_edit":{"mid":"m_1","text":"x","num_edit":1}},
    {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_2",
     "is_deleted":true}},
    {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"something_new":{}},
    {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":"not an object"},
    "not an event"],
    "changes":[{"field":"feed","value":{}}]}, "not an entry"]})";
  auto result = normalize(post(body));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_THAT(result->messages, IsEmpty());
  EXPECT_THAT(result->notices,
              ElementsAre("handover", "optin", "referral", "edit", "deleted", "unsupported",
                          "unsupported", "unsupported", "unsupported", "unsupported"));
}

TEST(MetaConnectorTest, UnusableMessagesAreSkipped) {
  std::string body = R"({"object":"page","entry":[{"id":"1","messaging":[
    {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_a","text":"ok"}},
    {"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_b","text":"no sender"}},
    {"sender":{"id":"has space"},"timestamp":1,"message":{"mid":"m_c","text":"bad sender"}},
    {"sender":{"id":"2"},"timestamp":1,"message":{"mid":"","text":"empty mid"}},
    {"sender":{"id":"2"},"timestamp":1,"message":{"mid":"m_d"}},
    {"sender":{"id":"2"},"timestamp":1,"message":{"mid":"m_e","text":"x","is_unsupported":true}},
    {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_a","text":"ok"}}
  ]}]})";
  auto result = normalize(post(body));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  ASSERT_EQ(result->messages.size(), 1u);
  EXPECT_EQ(result->messages[0].provider_message_id(), "m_a");
  EXPECT_THAT(result->notices, ElementsAre("unsupported", "unsupported", "unsupported",
                                           "unsupported", "unsupported", "duplicate"));
}

TEST(MetaConnectorTest, RecipientFallsBackToTheEntryId) {
  std::string body = R"({"object":"page","entry":[{"id":"555","messaging":[
    {"sender":{"id":"2"},"timestamp":"1700000000","message":{"mid":"m_a","text":"hi"}}]}]})";
  auto result = normalize(post(body));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  ASSERT_EQ(result->messages.size(), 1u);
  EXPECT_EQ(result->messages[0].recipient().value(), "555");
  EXPECT_EQ(result->messages[0].sender().account_id(), "555");
  // A timestamp in seconds (as a string) is taken as seconds.
  EXPECT_EQ(result->messages[0].sent_at().seconds(), 1700000000);
}

TEST(MetaConnectorTest, SameMidGivesSameEventIdAcrossRetries) {
  auto first = normalize(post(fixture("messenger_text.json")));
  auto retry = MetaConnector(settings()).normalize(post(fixture("messenger_text.json")), kNow + 1s);
  ASSERT_TRUE(first.has_value() && retry.has_value());
  EXPECT_EQ(first->messages[0].envelope().event_id(), retry->messages[0].envelope().event_id());
  EXPECT_NE(first->messages[0].envelope().trace_id(), retry->messages[0].envelope().trace_id());
}

TEST(MetaConnectorTest, PropagatesTraceparent) {
  http::Request request = post(fixture("messenger_batch.json"));
  request.headers.emplace_back("traceparent",
                               "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto result = normalize(request);
  ASSERT_TRUE(result.has_value());
  for (const auto& m : result->messages) {
    EXPECT_EQ(m.envelope().trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  }
}

// --- Instagram ---

TEST(MetaConnectorTest, InstagramDirectMessage) {
  NormalizedBatch batch = accept("instagram_dm.json");
  ASSERT_EQ(batch.messages.size(), 1u);
  const v1::InboundMessage& m = batch.messages[0];
  EXPECT_EQ(m.channel(), v1::CHANNEL_INSTAGRAM);
  EXPECT_EQ(m.sender().channel(), v1::CHANNEL_INSTAGRAM);
  EXPECT_EQ(m.sender().value(), "1914216535470987");
  EXPECT_EQ(m.sender().account_id(), "17841405822304914");
  EXPECT_EQ(m.recipient().value(), "17841405822304914");
  EXPECT_EQ(m.text(), "Is this still available?");
  ASSERT_EQ(m.attachments_size(), 1);
  EXPECT_EQ(m.attachments(0).content_type(), "image/*");
  EXPECT_EQ(m.attachments(0).url(), "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1");
  EXPECT_EQ(m.sent_at().seconds(), 1569262485);
  expectEnvelope(
      m, "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MDI4MjM2Njg0MQZDZD");
  // messaging_seen arrives as "read"; the account's own reply as an echo.
  EXPECT_THAT(batch.notices, ElementsAre("read", "echo"));
}

// --- WhatsApp ---

TEST(MetaConnectorTest, WhatsAppText) {
  NormalizedBatch batch = accept("whatsapp_text.json");
  ASSERT_EQ(batch.messages.size(), 1u);
  EXPECT_THAT(batch.notices, IsEmpty());
  const v1::InboundMessage& m = batch.messages[0];
  EXPECT_EQ(m.channel(), v1::CHANNEL_WHATSAPP);
  EXPECT_EQ(m.sender().channel(), v1::CHANNEL_WHATSAPP);
  EXPECT_EQ(m.sender().value(), "+16505551234");
  EXPECT_EQ(m.sender().display_name(), "Sheena Nelson");
  EXPECT_EQ(m.sender().account_id(), "106540352242922");
  EXPECT_EQ(m.recipient().channel(), v1::CHANNEL_WHATSAPP);
  EXPECT_EQ(m.recipient().value(), "+15550783881");
  EXPECT_EQ(m.recipient().account_id(), "106540352242922");
  EXPECT_EQ(m.text(), "Olá, preciso de ajuda com o pedido 42 🙏");
  EXPECT_EQ(m.thread().in_reply_to(),
            "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=");
  EXPECT_EQ(m.sent_at().seconds(), 1739321024);
  EXPECT_EQ(m.sent_at().nanos(), 0);
  expectEnvelope(m, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=");
}

TEST(MetaConnectorTest, WhatsAppImage) {
  NormalizedBatch batch = accept("whatsapp_image.json");
  ASSERT_EQ(batch.messages.size(), 1u);
  const v1::InboundMessage& m = batch.messages[0];
  EXPECT_EQ(m.text(), "This is the damaged box");
  ASSERT_EQ(m.attachments_size(), 1);
  EXPECT_EQ(m.attachments(0).content_type(), "image/jpeg");
  EXPECT_EQ(m.attachments(0).url(), "whatsapp-media:2754859441498128");
  EXPECT_EQ(m.attachments(0).sha256(),
            "81d3bd8a8db4868c9520ed47186e8b7c5789e61ff79f7f834be6950b808a90d3");
  EXPECT_FALSE(m.has_thread());
  expectEnvelope(m, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTc3RjVGMEY3QkRCNDBGNkJBAA==");
}

TEST(MetaConnectorTest, WhatsAppStatusesOnlyProduceNothing) {
  NormalizedBatch batch = accept("whatsapp_status_only.json");
  EXPECT_THAT(batch.messages, IsEmpty());
  EXPECT_THAT(batch.notices, ElementsAre("status", "status"));
  EXPECT_EQ(batch.accepted.status, 200);
}

TEST(MetaConnectorTest, WhatsAppSeveralEntriesAndMessages) {
  NormalizedBatch batch = accept("whatsapp_multi.json");
  ASSERT_EQ(batch.messages.size(), 3u);
  EXPECT_THAT(batch.notices, ElementsAre("status", "reaction"));

  const v1::InboundMessage& text = batch.messages[0];
  EXPECT_EQ(text.sender().value(), "+16505551234");
  EXPECT_EQ(text.sender().display_name(), "Sheena Nelson");
  EXPECT_EQ(text.sender().account_id(), "106540352242922");
  EXPECT_EQ(text.text(), "Where is my order?");

  const v1::InboundMessage& button = batch.messages[1];
  EXPECT_EQ(button.sender().value(), "+60173526233");
  EXPECT_EQ(button.sender().display_name(), "Lee Jen Ling");
  EXPECT_EQ(button.text(), "Cancel");
  EXPECT_EQ(button.attributes().at("quick_reply"), "cancel-button");
  EXPECT_EQ(button.thread().in_reply_to(),
            "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=");

  const v1::InboundMessage& location = batch.messages[2];
  EXPECT_EQ(location.sender().value(), "+16315551181");
  EXPECT_EQ(location.sender().display_name(), "Kerry Fisher");
  EXPECT_EQ(location.sender().account_id(), "114896151713920");
  EXPECT_EQ(location.recipient().value(), "+15550984277");
  EXPECT_EQ(location.text(), "Main Street Beach\nMain Street Beach, Santa Cruz, CA");
  EXPECT_EQ(location.attributes().at("location"), "38.9806263495,-131.9428612257");

  for (const auto& m : batch.messages) {
    EXPECT_EQ(m.channel(), v1::CHANNEL_WHATSAPP);
    expectEnvelope(m, m.provider_message_id());
  }
}

TEST(MetaConnectorTest, WhatsAppUnusableMessagesAreSkipped) {
  std::string body = R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
    {"field":"messages","value":{"metadata":{"phone_number_id":"9"},"messages":[
      {"from":"16505551234","id":"wamid.ok","timestamp":"1","type":"text","text":{"body":"ok"}},
      {"id":"wamid.nofrom","timestamp":"1","type":"text","text":{"body":"x"}},
      {"from":"+1 650","id":"wamid.badfrom","type":"text","text":{"body":"x"}},
      {"from":"16505551234","timestamp":"1","type":"text","text":{"body":"no id"}},
      {"from":"16505551234","id":"wamid.contacts","type":"contacts","contacts":[]},
      {"from":"16505551234","id":"wamid.unknown","type":"unsupported","errors":[{"code":131051}]},
      {"from":"16505551234","id":"wamid.empty","type":"text","text":{"body":""}},
      {"from":"16505551234","id":"wamid.sys","type":"system","system":{"body":"changed"}},
      {"from":"16505551234","id":"wamid.ok","timestamp":"1","type":"text","text":{"body":"ok"}}
    ],"errors":[{"code":131000}]}},
    {"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}]}]})";
  auto result = normalize(post(body));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  ASSERT_EQ(result->messages.size(), 1u);
  const v1::InboundMessage& m = result->messages[0];
  EXPECT_EQ(m.provider_message_id(), "wamid.ok");
  // No contacts: no display name; no display number: the recipient has only the account.
  EXPECT_EQ(m.sender().display_name(), "");
  EXPECT_EQ(m.recipient().value(), "");
  EXPECT_EQ(m.recipient().account_id(), "9");
  EXPECT_THAT(result->notices,
              ElementsAre("unsupported", "unsupported", "unsupported", "unsupported", "unsupported",
                          "unsupported", "system", "duplicate", "error", "unsupported"));
}

TEST(MetaConnectorTest, WhatsAppTemplateButtonAndListReply) {
  std::string body = R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
    {"field":"messages","value":{"metadata":{"display_phone_number":"15550783881",
      "phone_number_id":"9"},"messages":[
      {"from":"16505551234","id":"wamid.b","type":"button",
       "button":{"text":"Yes","payload":"CONFIRM_ORDER"}},
      {"from":"16505551234","id":"wamid.l","type":"interactive","interactive":{
       "type":"list_reply","list_reply":{"id":"priority_express","title":"Priority Mail Express",
       "description":"Next Day to 2 Days"}}},
      {"from":"16505551234","id":"wamid.d","type":"document","document":{
       "filename":"invoice.pdf","mime_type":"application/pdf","sha256":"not-hex","id":"77"}}
    ]}}]}]})";
  auto result = normalize(post(body));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  ASSERT_EQ(result->messages.size(), 3u);
  EXPECT_EQ(result->messages[0].text(), "Yes");
  EXPECT_EQ(result->messages[0].attributes().at("quick_reply"), "CONFIRM_ORDER");
  EXPECT_EQ(result->messages[1].text(), "Priority Mail Express");
  EXPECT_EQ(result->messages[1].attributes().at("quick_reply"), "priority_express");
  const v1::InboundMessage& document = result->messages[2];
  EXPECT_EQ(document.text(), "");
  ASSERT_EQ(document.attachments_size(), 1);
  EXPECT_EQ(document.attachments(0).name(), "invoice.pdf");
  EXPECT_EQ(document.attachments(0).content_type(), "application/pdf");
  EXPECT_EQ(document.attachments(0).url(), "whatsapp-media:77");
  EXPECT_EQ(document.attachments(0).sha256(), "");
  EXPECT_THAT(result->notices, IsEmpty());
}

TEST(MetaConnectorTest, EmptyEntryListIsAccepted) {
  auto result = normalize(post(R"({"object":"whatsapp_business_account","entry":[]})"));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_THAT(result->messages, IsEmpty());
  EXPECT_THAT(result->notices, IsEmpty());
  EXPECT_EQ(result->accepted.status, 200);
}

}  // namespace
}  // namespace switchboard::connectors::meta
