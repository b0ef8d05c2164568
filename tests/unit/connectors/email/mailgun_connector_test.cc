#include "connectors/email/mailgun_connector.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "connectors/common/form_urlencoded.h"
#include "connectors/connector_registry.h"

namespace switchboard::connectors::email {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;
using Fields = std::vector<std::pair<std::string, std::string>>;

// Made up for these tests; the real key comes from the environment.
constexpr std::string_view kKey = "test-signing-key-not-a-secret";
constexpr std::string_view kFormType = "application/x-www-form-urlencoded";
// parsed.form is signed at 1795424047, mime.form at 1795424050, attachments.multipart at
// 1795424060 (README in tests/testdata/email/mailgun/).
const system_clock::time_point kSignedAt{seconds(1795424047)};
const system_clock::time_point kNow = kSignedAt + seconds(30);

std::string fixture(std::string_view name) {
  std::filesystem::path path =
      std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / "email/mailgun" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The signature computed apart from the connector: OpenSSL's one-shot HMAC-SHA256, hex.
std::string sign(std::string_view timestamp, std::string_view token) {
  const std::string message = std::string(timestamp) + std::string(token);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &size);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(byte, sizeof(byte), "%02x", mac[i]);
    hex += byte;
  }
  return hex;
}

std::string encode(const Fields& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += formUrlencode(name) + '=' + formUrlencode(value);
  }
  return body;
}

// A form Mailgun would post at `at`, signed with a fresh token.
std::string signedForm(Fields fields, system_clock::time_point at, std::string token) {
  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<seconds>(at.time_since_epoch()).count());
  fields.emplace_back("timestamp", timestamp);
  fields.emplace_back("token", token);
  fields.emplace_back("signature", sign(timestamp, token));
  return encode(fields);
}

http::Request post(std::string body, std::string path = "/v1/email/mailgun",
                   std::string content_type = std::string(kFormType)) {
  http::Request request;
  request.method = "POST";
  request.path = request.target = std::move(path);
  request.headers.emplace_back("Content-Type", std::move(content_type));
  request.body = std::move(body);
  return request;
}

MailgunConnector connector() {
  MailgunSettings settings;
  settings.signing_key = std::string(kKey);
  return MailgunConnector(settings);
}

// The batch's one message; on a rejection (or another count) the test fails and gets an empty
// message, so that its field checks fail too instead of crashing.
const v1::InboundMessage& only(const ConnectorResult<NormalizedBatch>& batch) {
  static const v1::InboundMessage kNone;
  EXPECT_TRUE(batch.has_value()) << (batch ? "" : batch.error().detail());
  if (!batch.has_value()) return kNone;
  EXPECT_EQ(batch->messages.size(), 1u);
  return batch->messages.size() == 1 ? batch->messages.front() : kNone;
}

std::string attribute(const v1::InboundMessage& message, const std::string& key) {
  auto found = message.attributes().find(key);
  return found == message.attributes().end() ? "<absent>" : found->second;
}

TEST(MailgunSignatureTest, MatchesAnIndependentHmacAndThePythonComputedFixtureValue) {
  const std::string token = "06c96bafc3f42a66b9edd546347a2fe18dc23461fe80dc52f0";
  EXPECT_EQ(mailgunSignature(kKey, "1795424047", token), sign("1795424047", token));
  // hmac.new(b"test-signing-key-not-a-secret", b"1795424047" + token, sha256).hexdigest()
  const std::string python = "c7e0b00f9d112bded50c65f6d34c0f71087c7a8776fa79561b2c56eca3f4326b";
  EXPECT_TRUE(mailgunSignatureMatches(kKey, "1795424047", token, python));
  std::string upper = python;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(mailgunSignatureMatches(kKey, "1795424047", token, upper));
  EXPECT_FALSE(mailgunSignatureMatches(kKey, "1795424048", token, python));
  EXPECT_FALSE(mailgunSignatureMatches("other-key", "1795424047", token, python));
  EXPECT_FALSE(mailgunSignatureMatches(kKey, "1795424047", token, python.substr(1)));
}

TEST(TokenReplayCacheTest, RefusesASecondUseUntilTheTokenExpires) {
  TokenReplayCache cache(10);
  const system_clock::time_point t0{seconds(1000)};
  EXPECT_TRUE(cache.firstUse("a", t0 + seconds(300), t0));
  EXPECT_FALSE(cache.firstUse("a", t0 + seconds(300), t0 + seconds(299)));
  EXPECT_TRUE(cache.firstUse("b", t0 + seconds(300), t0 + seconds(10)));
  EXPECT_EQ(cache.size(), 2u);
  // Once expired the entries are dropped; a token that old is refused by its timestamp anyway.
  EXPECT_TRUE(cache.firstUse("a", t0 + seconds(900), t0 + seconds(300)));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(TokenReplayCacheTest, ForgetsTheOldestPastItsCapacity) {
  TokenReplayCache cache(2);
  const system_clock::time_point t0{seconds(1000)};
  const auto later = t0 + seconds(300);
  EXPECT_TRUE(cache.firstUse("a", later, t0));
  EXPECT_TRUE(cache.firstUse("b", later, t0));
  EXPECT_TRUE(cache.firstUse("c", later, t0));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.firstUse("c", later, t0));
  EXPECT_FALSE(cache.firstUse("b", later, t0));
  EXPECT_TRUE(cache.firstUse("a", later, t0)) << "evicted early: the documented trade-off";
}

TEST(MailgunConnectorTest, ParsedFormBecomesOneEmailMessage) {
  auto batch = connector().normalize(post(fixture("parsed.form")), kNow);
  const v1::InboundMessage& message = only(batch);
  EXPECT_EQ(batch ? batch->accepted.status : 0, 200);

  EXPECT_EQ(message.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(message.provider(), "mailgun");
  EXPECT_EQ(message.sender().value(), "ana@example.com");
  EXPECT_EQ(message.sender().display_name(), "Ana Lima");
  EXPECT_EQ(message.recipient().value(), "support@mg.example.com");
  EXPECT_EQ(message.thread().subject(), "Re: Order 4471");
  // stripped-text is Mailgun's own split; the quoted history comes from body-plain.
  EXPECT_EQ(message.text(), "Still nothing arrived.");
  EXPECT_EQ(message.quoted_history(),
            "On Sun, Nov 22, 2026 at 10:00 AM Support <support@mg.example.com> wrote:\n"
            "> It is on its way.");
  EXPECT_EQ(message.html(), "<div>Still nothing arrived.</div>");
  EXPECT_EQ(message.thread().message_id(), "CAEPk3R+4Zr@mail.example.com");
  EXPECT_EQ(message.thread().in_reply_to(), "ticket-8812@support.example.com");
  ASSERT_EQ(message.thread().references_size(), 1);
  EXPECT_EQ(message.thread().references(0), "ticket-8812@support.example.com");
  EXPECT_EQ(message.sent_at().seconds(), 1795425245);
  EXPECT_EQ(attribute(message, "reply_to"), "ana.lima@work.example.com");
  EXPECT_EQ(attribute(message, "envelope_from"), "<absent>");
  EXPECT_EQ(message.envelope().idempotency_key(), "email:CAEPk3R+4Zr@mail.example.com");
  EXPECT_EQ(message.envelope().producer(), "connector/mailgun");
}

TEST(MailgunConnectorTest, MimeRouteNormalizesBodyMime) {
  auto batch = connector().normalize(post(fixture("mime.form"), "/v1/email/mailgun/mime"),
                                     kSignedAt + seconds(33));
  const v1::InboundMessage& message = only(batch);
  EXPECT_EQ(message.provider(), "mailgun");
  EXPECT_EQ(message.sender().value(), "ana@example.com");
  EXPECT_EQ(message.recipient().value(), "support@mg.example.com");
  EXPECT_EQ(message.thread().subject(), "Raw MIME test");
  EXPECT_EQ(message.text(), "It's a body…");
  EXPECT_EQ(message.html(), "<div dir=\"ltr\">It's a body…</div>\n");
  EXPECT_EQ(attribute(message, "envelope_from"), "bounce+ana@example.com");
  EXPECT_EQ(message.envelope().idempotency_key(), "email:CAEPk3RKEx@mail.example.com");
  EXPECT_EQ(message.envelope().producer(), "connector/mailgun");
}

TEST(MailgunConnectorTest, MimeRouteRequiresBodyMime) {
  const std::string body = signedForm({{"recipient", "support@mg.example.com"},
                                       {"sender", "ana@example.com"},
                                       {"from", "Ana <ana@example.com>"},
                                       {"body-plain", "hi"}},
                                      kNow, "tok-mime-missing-0000000000000000000000000000000000");
  auto batch = connector().normalize(post(body, "/v1/email/mailgun/mime"), kNow);
  ASSERT_FALSE(batch.has_value());
  EXPECT_EQ(batch.error().code(), Errc::kMissingField);
  EXPECT_EQ(batch.error().detail(),
            "body-mime is required on /v1/email/mailgun/mime (a forward() URL ending in mime)");
}

TEST(MailgunConnectorTest, MultipartPostDescribesItsAttachments) {
  auto batch = connector().normalize(post(fixture("attachments.multipart"), "/v1/email/mailgun",
                                          "multipart/form-data; boundary=e7b1c5a4f2d94d6b8c3a"),
                                     system_clock::time_point(seconds(1795424060 + 5)));
  const v1::InboundMessage& message = only(batch);
  EXPECT_EQ(message.text(), "Invoice attached.");
  EXPECT_EQ(message.thread().message_id(), "inv-9@mail.example.com");
  ASSERT_EQ(message.attachments_size(), 2);
  EXPECT_EQ(message.attachments(0).name(), "invoice.pdf");
  EXPECT_EQ(message.attachments(0).content_type(), "application/pdf");
  EXPECT_EQ(message.attachments(0).size_bytes(), 34u);
  EXPECT_EQ(message.attachments(0).sha256(),
            "97596245a68f6323c03fd72dad43d7c18dad2f150e77ba4ba47a653b9bdd43c5");
  EXPECT_EQ(message.attachments(1).name(), "parcel.png") << "the client's path is dropped";
  EXPECT_EQ(message.attachments(1).content_type(), "image/png");
  EXPECT_EQ(message.attachments(1).sha256(),
            "c414cd0e204de974f73753c7e28d7638e7b3691bb8b1a2bab6b25bb7fed7ce77");
}

TEST(MailgunConnectorTest, RefusesMissingBadStaleAndReplayedSignatures) {
  const std::string body = fixture("parsed.form");
  auto missing = connector().normalize(post(encode({{"from", "ana@example.com"}})), kNow);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::kUnauthenticated);
  EXPECT_EQ(missing.error().reason(), "missing_signature");

  std::string forged = body;
  const size_t at = forged.find("&signature=") + 11;  // not stripped-signature=
  forged[at] = forged[at] == '0' ? '1' : '0';
  auto bad = connector().normalize(post(forged), kNow);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), Errc::kForbidden);
  EXPECT_EQ(bad.error().reason(), "bad_signature");

  auto stale = connector().normalize(post(body), kSignedAt + seconds(301));
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code(), Errc::kUnauthenticated);
  EXPECT_EQ(stale.error().reason(), "stale_timestamp");
  EXPECT_EQ(stale.error().detail(),
            "timestamp is 301 s from this server's clock (at most 300 s accepted)");
  auto early = connector().normalize(post(body), kSignedAt - seconds(400));
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().reason(), "stale_timestamp");

  MailgunConnector shared = connector();
  ASSERT_TRUE(shared.normalize(post(body), kNow).has_value());
  auto replay = shared.normalize(post(body), kNow + seconds(5));
  ASSERT_FALSE(replay.has_value());
  EXPECT_EQ(replay.error().code(), Errc::kForbidden);
  EXPECT_EQ(replay.error().reason(), "bad_signature");
  EXPECT_EQ(replay.error().detail(),
            "this token was already used: a Mailgun signature is valid once");
}

TEST(MailgunConnectorTest, SignatureIsCheckedBeforeAnyMessageField) {
  // A signed post with nothing else fails on content; an unsigned one on its signature.
  auto signed_only = connector().normalize(
      post(signedForm({}, kNow, "tok-empty-000000000000000000000000000000000000000")), kNow);
  ASSERT_FALSE(signed_only.has_value());
  EXPECT_EQ(signed_only.error().code(), Errc::kMissingField);
  auto unsigned_post =
      connector().normalize(post(encode({{"body-mime", "not even a message"}})), kNow);
  ASSERT_FALSE(unsigned_post.has_value());
  EXPECT_EQ(unsigned_post.error().reason(), "missing_signature");
}

TEST(MailgunConnectorTest, RefusesMalformedBodiesWithAClearReason) {
  const std::string multipart = fixture("attachments.multipart");
  auto truncated =
      connector().normalize(post(multipart.substr(0, multipart.size() - 40), "/v1/email/mailgun",
                                 "multipart/form-data; boundary=e7b1c5a4f2d94d6b8c3a"),
                            kNow);
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().code(), Errc::kMalformedInput);
  EXPECT_EQ(truncated.error().reason(), "malformed_multipart");

  auto headers = connector().normalize(
      post(signedForm({{"from", "ana@example.com"}, {"message-headers", "{\"a\":1}"}}, kNow,
                      "tok-headers-0000000000000000000000000000000000000")),
      kNow);
  ASSERT_FALSE(headers.has_value());
  EXPECT_EQ(headers.error().reason(), "invalid_field");
  EXPECT_EQ(headers.error().detail(), "message-headers must be a JSON list of [name, value]");

  auto text = connector().normalize(post("{}", "/v1/email/mailgun", "text/plain"), kNow);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code(), Errc::kUnsupportedMediaType);
}

TEST(MailgunConnectorTest, SettingsAndRegistration) {
  MailgunSettings settings;
  ConnectorRegistry registry;
  ASSERT_TRUE(registerMailgunConnector(registry, settings).has_value());
  EXPECT_EQ(registry.find("mailgun"), nullptr) << "off without a signing key";
  settings.signing_key = std::string(kKey);
  settings.timestamp_tolerance = seconds(0);
  EXPECT_EQ(validateMailgunSettings(settings).error().code(), Errc::kConfig);
  settings.timestamp_tolerance = seconds(300);
  ASSERT_TRUE(registerMailgunConnector(registry, settings).has_value());
  const Connector* added = registry.find("mailgun");
  ASSERT_NE(added, nullptr);
  ASSERT_EQ(added->routes().size(), 2u);
  EXPECT_EQ(added->routes()[0].path, "/v1/email/mailgun");
  EXPECT_EQ(added->routes()[1].path, "/v1/email/mailgun/mime");
}

}  // namespace
}  // namespace switchboard::connectors::email
