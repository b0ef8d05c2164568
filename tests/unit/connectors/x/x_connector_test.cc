#include "connectors/x/x_connector.h"

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <boost/json/parse.hpp>

#include "core/crypto/digest.h"
#include "core/http/error_status.h"

namespace switchboard::connectors::x {
namespace {

using std::chrono::system_clock;

// 2024-05-01T12:00:00.250Z
const system_clock::time_point kNow =
    system_clock::time_point(std::chrono::seconds(1714564800)) + std::chrono::milliseconds(250);

// The example consumer secret and crc_token of X's own CRC samples (Twitter developer relations'
// "Creates a valid CRC response for Twitter webhook integration" gists); not a real credential.
constexpr std::string_view kSecret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu";
constexpr std::string_view kCrcToken = "9b4507b3-9040-4669-9ca3-6b94edb50553";
// base64(HMAC-SHA256(kSecret, kCrcToken)), computed with Python's hmac module.
constexpr std::string_view kCrcResponse = "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=";

// The signature computed independently of the connector: OpenSSL's EVP_Q_mac, not HMAC().
std::string independentSignature(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  size_t mac_size = 0;
  unsigned char* ok = EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                                reinterpret_cast<const unsigned char*>(message.data()),
                                message.size(), mac.data(), mac.size(), &mac_size);
  EXPECT_NE(ok, nullptr);
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> encoded{};
  int n = EVP_EncodeBlock(encoded.data(), mac.data(), static_cast<int>(mac_size));
  return "sha256=" + std::string(reinterpret_cast<const char*>(encoded.data()), n);
}

std::string testdata(std::string_view name) {
  std::filesystem::path path = std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / "x" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

XSettings settings() {
  XSettings s;
  s.consumer_secret = std::string(kSecret);
  return s;
}

http::Request crc(std::string query) {
  http::Request request;
  request.method = "GET";
  request.path = "/v1/x/webhook";
  request.target = request.path + (query.empty() ? "" : "?" + query);
  request.query = std::move(query);
  request.remote_address = "199.59.150.1";
  return request;
}

// A POST signed over exactly `body`, as X signs it (unless `signature` says otherwise).
http::Request activity(std::string body, std::optional<std::string> signature = std::nullopt,
                       std::string content_type = "application/json; charset=utf-8") {
  http::Request request;
  request.method = "POST";
  request.path = "/v1/x/webhook";
  request.target = request.path;
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  request.headers.emplace_back("X-Twitter-Webhooks-Signature",
                               signature ? *signature : independentSignature(kSecret, body));
  request.body = std::move(body);
  request.remote_address = "199.59.150.1";
  return request;
}

ConnectorResult<NormalizedBatch> normalize(const http::Request& request, XSettings s = settings()) {
  return XConnector(std::move(s)).normalize(request, kNow);
}

void expectRejected(const ConnectorResult<NormalizedBatch>& result, Errc code,
                    std::string_view reason) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), code) << result.error().detail();
  EXPECT_EQ(result.error().reason(), reason) << result.error().detail();
  EXPECT_FALSE(result.error().detail().empty());
}

std::vector<std::string> noticesOf(const NormalizedBatch& batch) {
  std::vector<std::string> out;
  boost::json::value body = boost::json::parse(batch.accepted.body);
  for (const auto& n : body.at("notices").as_array()) out.emplace_back(n.as_string());
  return out;
}

std::vector<std::string> countedNotices(const NormalizedBatch& batch) {
  return std::vector<std::string>(batch.notices.begin(), batch.notices.end());
}

// Answered 200, nothing produced, exactly `notices` counted and named in the answer.
void expectNotices(const ConnectorResult<NormalizedBatch>& result,
                   const std::vector<std::string>& notices) {
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_TRUE(result->messages.empty());
  EXPECT_EQ(countedNotices(*result), notices);
  EXPECT_EQ(result->accepted.status, 200);
  EXPECT_EQ(boost::json::parse(result->accepted.body).at("status").as_string(), "ignored");
  EXPECT_EQ(noticesOf(*result), notices);
}

TEST(XConnectorTest, DescribesItself) {
  XConnector connector(settings());
  EXPECT_EQ(connector.name(), "x");
  EXPECT_EQ(connector.channel(), v1::CHANNEL_X);
  ASSERT_EQ(connector.routes().size(), 2u);
  EXPECT_EQ(connector.routes()[0].method, "GET");
  EXPECT_EQ(connector.routes()[0].path, "/v1/x/webhook");
  EXPECT_EQ(connector.routes()[1].method, "POST");
  EXPECT_EQ(connector.routes()[1].path, "/v1/x/webhook");
}

TEST(XConnectorTest, AnswersTheChallengeResponseCheck) {
  ASSERT_EQ(independentSignature(kSecret, kCrcToken), kCrcResponse);
  auto result = normalize(crc("crc_token=" + std::string(kCrcToken) + "&nonce=1"));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_TRUE(result->messages.empty());
  EXPECT_EQ(result->accepted.status, 200);
  EXPECT_EQ(result->accepted.content_type, "application/json");
  boost::json::value body = boost::json::parse(result->accepted.body);
  ASSERT_EQ(body.as_object().size(), 1u);
  EXPECT_EQ(body.at("response_token").as_string(), kCrcResponse);
}

TEST(XConnectorTest, DecodesTheCrcTokenBeforeSigningIt) {
  // base64-looking tokens arrive percent-encoded; the HMAC covers the decoded token.
  auto result = normalize(crc("crc_token=YWJj%2Bd%2Fe%3D%3D"));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_EQ(boost::json::parse(result->accepted.body).at("response_token").as_string(),
            independentSignature(kSecret, "YWJj+d/e=="));
}

TEST(XConnectorTest, RefusesAChallengeWithoutAUsableToken) {
  auto missing = normalize(crc(""));
  expectRejected(missing, Errc::kMissingField, "missing_field");
  EXPECT_EQ(http::httpStatusFor(missing.error().code()), 400);
  expectRejected(normalize(crc("nonce=1")), Errc::kMissingField, "missing_field");
  expectRejected(normalize(crc("crc_token=")), Errc::kMissingField, "missing_field");
  expectRejected(normalize(crc("crc_token=a&crc_token=b")), Errc::kMalformedInput, "invalid_field");
  expectRejected(normalize(crc("crc_token=%zz")), Errc::kMalformedInput, "invalid_field");
  expectRejected(normalize(crc("crc_token=" + std::string(257, 'a'))), Errc::kMalformedInput,
                 "invalid_field");
}

TEST(XConnectorTest, WillNotSignABodyThroughTheChallenge) {
  // The CRC answer is the HMAC that signs POST bodies: answering this would hand out a valid
  // x-twitter-webhooks-signature for a forged direct message.
  std::string forged = R"({"for_user_id":"1","direct_message_events":[]})";
  std::string encoded;
  for (unsigned char c : forged) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    encoded += '%';
    encoded += kHex[c >> 4];
    encoded += kHex[c & 0xf];
  }
  expectRejected(normalize(crc("crc_token=" + encoded)), Errc::kMalformedInput, "invalid_field");
}

TEST(XConnectorTest, NormalizesTheDocumentedDirectMessage) {
  std::string body = testdata("dm_message_create.json");
  auto result = normalize(activity(body));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  ASSERT_EQ(result->messages.size(), 1u);
  const v1::InboundMessage& m = result->messages[0];

  EXPECT_EQ(m.channel(), v1::CHANNEL_X);
  EXPECT_EQ(m.provider(), "x");
  EXPECT_EQ(m.sender().channel(), v1::CHANNEL_X);
  EXPECT_EQ(m.sender().value(), "3001969357");
  EXPECT_EQ(m.sender().display_name(), "Jordan Brinks");
  EXPECT_EQ(m.sender().account_id(), "4337869213");
  EXPECT_EQ(m.recipient().channel(), v1::CHANNEL_X);
  EXPECT_EQ(m.recipient().value(), "4337869213");
  EXPECT_EQ(m.recipient().account_id(), "4337869213");
  EXPECT_FALSE(m.has_thread());
  EXPECT_EQ(m.text(), "Hello World!");
  EXPECT_EQ(m.attachments_size(), 0);
  EXPECT_EQ(m.provider_message_id(), "954491830116155396");
  EXPECT_EQ(m.sent_at().seconds(), 1516403560);
  EXPECT_EQ(m.sent_at().nanos(), 557'000'000);
  ASSERT_EQ(m.attributes_size(), 1);
  EXPECT_EQ(m.attributes().at("screen_name"), "furiouscamper");

  const v1::Envelope& e = m.envelope();
  EXPECT_EQ(e.idempotency_key(), "x:954491830116155396");
  EXPECT_EQ(e.event_id(), "in-" + crypto::sha256Hex("x:954491830116155396").substr(0, 32));
  EXPECT_EQ(e.trace_id().size(), 32u);
  EXPECT_EQ(e.received_at().seconds(), 1714564800);
  EXPECT_EQ(e.received_at().nanos(), 250'000'000);
  EXPECT_EQ(e.created_at().seconds(), 1714564800);
  EXPECT_EQ(e.producer(), "connector/x");

  EXPECT_EQ(result->accepted.status, 200);
  boost::json::value answer = boost::json::parse(result->accepted.body);
  EXPECT_EQ(answer.at("status").as_string(), "accepted");
  ASSERT_EQ(answer.at("event_ids").as_array().size(), 1u);
  EXPECT_EQ(answer.at("event_ids").as_array()[0].as_string(), e.event_id());
  EXPECT_TRUE(answer.at("notices").as_array().empty());
  EXPECT_TRUE(result->notices.empty());
}

TEST(XConnectorTest, EventIdsAreDeterministic) {
  std::string body = testdata("dm_message_create.json");
  auto first = normalize(activity(body));
  auto retry = XConnector(settings()).normalize(activity(body), kNow + std::chrono::minutes(5));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(first->messages[0].envelope().event_id(), retry->messages[0].envelope().event_id());

  std::string other = body;
  other.replace(other.find("954491830116155396"), 18, "954491830116155399");
  auto next = normalize(activity(other));
  ASSERT_TRUE(next.has_value());
  EXPECT_NE(next->messages[0].envelope().event_id(), first->messages[0].envelope().event_id());
}

TEST(XConnectorTest, DescribesMediaAndDropsItsLinkFromTheText) {
  auto result = normalize(activity(testdata("dm_media.json")));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  ASSERT_EQ(result->messages.size(), 2u);

  const v1::InboundMessage& photo = result->messages[0];
  EXPECT_EQ(photo.text(), "my receipt");
  ASSERT_EQ(photo.attachments_size(), 1);
  EXPECT_EQ(photo.attachments(0).url(),
            "https://ton.twitter.com/1.1/ton/data/dm/883600253898960899/883600243442544640/"
            "d1DL1Ys9.png");
  EXPECT_EQ(photo.attachments(0).content_type(), "image/png");
  // An empty name: the screen name stands in.
  EXPECT_EQ(photo.sender().display_name(), "zribor");
  EXPECT_EQ(photo.sent_at().seconds(), 1499501691);
  EXPECT_EQ(photo.sent_at().nanos(), 685'000'000);

  const v1::InboundMessage& video = result->messages[1];
  EXPECT_EQ(video.text(), "");
  ASSERT_EQ(video.attachments_size(), 1);
  EXPECT_EQ(video.attachments(0).url(),
            "https://video.twimg.com/dm_video/883600243442544641/vid/1280x720/high.mp4");
  EXPECT_EQ(video.attachments(0).content_type(), "video/mp4");
  EXPECT_NE(video.envelope().event_id(), photo.envelope().event_id());
  EXPECT_EQ(video.envelope().trace_id(), photo.envelope().trace_id());  // one request

  EXPECT_EQ(boost::json::parse(result->accepted.body).at("event_ids").as_array().size(), 2u);
}

TEST(XConnectorTest, OurOwnDirectMessagesAreEchoes) {
  expectNotices(normalize(activity(testdata("dm_echo.json"))), {"echo"});
}

TEST(XConnectorTest, OtherActivityIsANoticePerEvent) {
  expectNotices(normalize(activity(testdata("dm_indicate_typing.json"))), {"typing"});
  expectNotices(normalize(activity(testdata("dm_mark_read.json"))), {"read"});
  expectNotices(normalize(activity(testdata("favorite_events.json"))), {"favorite"});
  expectNotices(normalize(activity(testdata("follow_events.json"))), {"follow"});
  expectNotices(normalize(activity(testdata("user_event_revoke.json"))), {"user_event"});
  expectNotices(normalize(activity(testdata("tweet_delete_events.json"))), {"tweet_delete"});
  expectNotices(
      normalize(
          activity(R"({"for_user_id":"1","tweet_create_events":[{"id_str":"5"},{"id_str":"6"}]})")),
      {"tweet", "tweet"});
  expectNotices(normalize(activity(R"({"for_user_id":"1","brand_new_events":[{"id":"1"}]})")),
                {"unsupported"});
  expectNotices(normalize(activity(R"({"for_user_id":"1","follow_events":[]})")), {});
  expectNotices(normalize(activity("{}")), {});
  expectNotices(normalize(activity(R"({"for_user_id":"1","direct_message_events":[
      {"type":"welcome_message","id":"5"}]})")),
                {"unsupported"});
  expectNotices(normalize(activity(R"({"for_user_id":"1","direct_message_events":[
      {"type":"message_create","id":"5","message_create":{"sender_id":"2",
       "message_data":{"text":""}}}]})")),
                {"unsupported"});
}

TEST(XConnectorTest, KeepsTheCustomerMessagesOfAMixedBatch) {
  std::string body = R"({"for_user_id":"1","direct_message_events":[
      {"type":"message_create","id":"10","message_create":{"sender_id":"1",
       "target":{"recipient_id":"2"},"message_data":{"text":"our reply"}}},
      {"type":"message_create","id":"11","message_create":{"sender_id":"2",
       "target":{"recipient_id":"1"},"message_data":{"text":"thanks!",
       "quick_reply_response":{"type":"options","metadata":"external_id_2"}}}}]})";
  auto result = normalize(activity(body));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  ASSERT_EQ(result->messages.size(), 1u);
  const v1::InboundMessage& m = result->messages[0];
  EXPECT_EQ(m.text(), "thanks!");
  EXPECT_EQ(m.sender().value(), "2");
  EXPECT_EQ(m.sender().display_name(), "");  // no users map
  EXPECT_EQ(m.attributes().at("quick_reply_metadata"), "external_id_2");
  EXPECT_FALSE(m.has_sent_at());
  EXPECT_EQ(countedNotices(*result), std::vector<std::string>{"echo"});
  EXPECT_EQ(noticesOf(*result), std::vector<std::string>{"echo"});
  EXPECT_EQ(boost::json::parse(result->accepted.body).at("status").as_string(), "accepted");
}

TEST(XConnectorTest, RefusesAMissingSignature) {
  http::Request request = activity(testdata("dm_message_create.json"));
  request.headers.erase(request.headers.begin() + 1);
  auto result = normalize(request);
  expectRejected(result, Errc::kUnauthenticated, "missing_signature");
  EXPECT_EQ(http::httpStatusFor(result.error().code()), 401);
  expectRejected(normalize(activity(testdata("dm_message_create.json"), "")),
                 Errc::kUnauthenticated, "missing_signature");
}

TEST(XConnectorTest, RefusesABadSignature) {
  std::string body = testdata("dm_message_create.json");
  auto result = normalize(activity(body, independentSignature("another secret", body)));
  expectRejected(result, Errc::kForbidden, "bad_signature");
  EXPECT_EQ(http::httpStatusFor(result.error().code()), 403);
  // Signed over other bytes: re-serialized JSON, or one byte changed.
  std::string tampered = body;
  tampered.replace(tampered.find("Hello World!"), 12, "Hello World?");
  expectRejected(normalize(activity(tampered, independentSignature(kSecret, body))),
                 Errc::kForbidden, "bad_signature");
  // The digest without its "sha256=", hex instead of base64, garbage.
  std::string good = independentSignature(kSecret, body);
  expectRejected(normalize(activity(body, good.substr(7))), Errc::kForbidden, "bad_signature");
  expectRejected(normalize(activity(body, "sha256=" + crypto::sha256Hex(body))), Errc::kForbidden,
                 "bad_signature");
  expectRejected(normalize(activity(body, "sha256=AAAA")), Errc::kForbidden, "bad_signature");
  // Surrounding blanks are tolerated.
  EXPECT_TRUE(normalize(activity(body, " " + good + " ")).has_value());
}

TEST(XConnectorTest, ChecksTheSignatureBeforeTheContentType) {
  expectRejected(normalize(activity("not json", "sha256=AAAA", "text/plain")), Errc::kForbidden,
                 "bad_signature");
  expectRejected(normalize(activity(testdata("dm_message_create.json"), std::nullopt,
                                    "application/x-www-form-urlencoded")),
                 Errc::kUnsupportedMediaType, "wrong_content_type");
}

TEST(XConnectorTest, RefusesBadBodies) {
  XSettings small = settings();
  small.max_body_bytes = 100;
  expectRejected(normalize(activity(testdata("dm_message_create.json")), small), Errc::kTooLarge,
                 "body_too_large");
  expectRejected(normalize(activity("{\"for_user_id\":")), Errc::kMalformedInput, "malformed_json");
  expectRejected(normalize(activity("[]")), Errc::kMalformedInput, "malformed_json");

  struct Case {
    const char* body;
    Errc code;
    const char* reason;
    const char* detail;
  };
  for (const Case& c : {
           Case{R"({"direct_message_events":[]})", Errc::kMissingField, "missing_field",
                "for_user_id is required"},
           Case{R"({"for_user_id":4337869213,"direct_message_events":[]})", Errc::kMalformedInput,
                "invalid_field", "for_user_id must be a string"},
           Case{R"({"for_user_id":"1","direct_message_events":{}})", Errc::kMalformedInput,
                "invalid_field", "direct_message_events must be an array"},
           Case{R"({"for_user_id":"1","direct_message_events":[7]})", Errc::kMalformedInput,
                "invalid_field", "direct_message_events[0] must be an object"},
           Case{R"({"for_user_id":"1","direct_message_events":[{"id":"5"}]})", Errc::kMissingField,
                "missing_field", "direct_message_events[0].type is required"},
           Case{R"({"for_user_id":"1","direct_message_events":[{"type":"message_create",
                "message_create":{"sender_id":"2","message_data":{"text":"hi"}}}]})",
                Errc::kMissingField, "missing_field", "direct_message_events[0].id is required"},
           Case{R"({"for_user_id":"1","direct_message_events":[{"type":"message_create",
                "id":"5","message_create":{"sender_id":2,"message_data":{"text":"hi"}}}]})",
                Errc::kMalformedInput, "invalid_field",
                "direct_message_events[0].message_create.sender_id must be a string"},
           Case{R"({"for_user_id":"1","direct_message_events":[{"type":"message_create",
                "id":"5:6","message_create":{"sender_id":"2","message_data":{"text":"hi"}}}]})",
                Errc::kMalformedInput, "invalid_field",
                "direct_message_events[0].id must be a decimal id string"},
           Case{R"({"for_user_id":"1","direct_message_events":[{"type":"message_create",
                "id":"5","message_create":{"sender_id":"2"}}]})",
                Errc::kMissingField, "missing_field",
                "direct_message_events[0].message_create.message_data is required"},
           Case{R"({"for_user_id":"1","direct_message_events":[{"type":"message_create",
                "id":"5","created_timestamp":"yesterday",
                "message_create":{"sender_id":"2","message_data":{"text":"hi"}}}]})",
                Errc::kMalformedInput, "invalid_field",
                "direct_message_events[0].created_timestamp must be milliseconds since the epoch"},
       }) {
    SCOPED_TRACE(c.body);
    auto result = normalize(activity(c.body));
    expectRejected(result, c.code, c.reason);
    if (!result.has_value()) {
      EXPECT_EQ(result.error().detail(), c.detail);
    }
  }
}

TEST(XConnectorTest, RegistersOnlyWhenASecretIsConfigured) {
  ConnectorRegistry registry;
  ASSERT_TRUE(registerXConnector(registry, XSettings{}).has_value());
  EXPECT_TRUE(registry.empty());
  ASSERT_TRUE(registerXConnector(registry, settings()).has_value());
  ASSERT_NE(registry.find("x"), nullptr);
  EXPECT_EQ(registry.find("x")->routes().size(), 2u);
  EXPECT_EQ(registerXConnector(registry, settings()).error().code(), Errc::kConfig);
}

}  // namespace
}  // namespace switchboard::connectors::x
