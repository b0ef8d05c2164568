#include "connectors/email/sendgrid_connector.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "connectors/connector_registry.h"
#include "core/crypto/digest.h"

namespace switchboard::connectors::email {
namespace {

using std::chrono::system_clock;

const system_clock::time_point kNow = system_clock::time_point(std::chrono::seconds(1795425300));

// Made up for these tests; real credentials come from the environment.
constexpr std::string_view kCredentials = "sendgrid:parse-password-not-a-secret";
constexpr std::string_view kType = "multipart/form-data; boundary=xYzZY";

// tests/testdata/email/sendgrid/<name>: bodies as SendGrid posts them (see the README there).
std::string fixture(std::string_view name) {
  std::filesystem::path path =
      std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / "email/sendgrid" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string basic(std::string_view credentials) {
  unsigned char encoded[256];
  int n = EVP_EncodeBlock(encoded, reinterpret_cast<const unsigned char*>(credentials.data()),
                          static_cast<int>(credentials.size()));
  return "Basic " + std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(n));
}

http::Request post(std::string body, std::optional<std::string> authorization = basic(kCredentials),
                   std::string content_type = std::string(kType)) {
  http::Request request;
  request.method = "POST";
  request.path = request.target = "/v1/email/sendgrid";
  request.headers.emplace_back("Content-Type", content_type);
  request.headers.emplace_back("User-Agent", "Sendlib/1.0");
  if (authorization) request.headers.emplace_back("Authorization", *authorization);
  request.body = std::move(body);
  return request;
}

SendGridConnector connector() {
  SendGridSettings settings;
  settings.basic_auth = std::string(kCredentials);
  return SendGridConnector(settings);
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

TEST(SendGridConnectorTest, ParsedModeConvertsEachFieldFromItsCharset) {
  auto batch = connector().normalize(post(fixture("parsed_charsets.multipart")), kNow);
  const v1::InboundMessage& message = only(batch);
  EXPECT_EQ(batch ? batch->accepted.status : 0, 202);

  EXPECT_EQ(message.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(message.provider(), "sendgrid");
  EXPECT_EQ(message.sender().value(), "kenji.sato@example.jp");
  EXPECT_EQ(message.sender().display_name(), "Kenji Satō");
  EXPECT_EQ(message.sender().account_id(), "support@parse.example.com");
  EXPECT_EQ(message.recipient().value(), "support@parse.example.com");
  EXPECT_EQ(message.recipient().display_name(), "Support");
  // Subject posted as ISO-2022-JP bytes, text as ISO-8859-1: both UTF-8 now.
  EXPECT_EQ(message.thread().subject(), "お問い合わせ");
  EXPECT_EQ(message.text(), "Bonjour, ma commande n'est jamais arrivée.");
  EXPECT_EQ(message.quoted_history(),
            "On Sun, Nov 22, 2026 at 10:00 AM Support <support@example.com> wrote:\n"
            "> Votre commande est en route.");
  EXPECT_EQ(message.html(), "<div>Bonjour, ma commande n'est jamais arrivée.</div>");

  // Threading from the raw `headers` block.
  EXPECT_EQ(message.thread().message_id(), "CAH7x2pQ=order-4471@mail.example.jp");
  EXPECT_EQ(message.provider_message_id(), "CAH7x2pQ=order-4471@mail.example.jp");
  EXPECT_EQ(message.thread().in_reply_to(), "ticket-8812.reply@support.example.com");
  ASSERT_EQ(message.thread().references_size(), 2);
  EXPECT_EQ(message.thread().references(0), "ticket-8812@support.example.com");
  EXPECT_EQ(message.thread().references(1), "ticket-8812.reply@support.example.com");
  EXPECT_EQ(message.sent_at().seconds(), 1795425245);  // 18:14:05 +0900
  EXPECT_EQ(attribute(message, "reply_to"), "orders@example.jp");
  EXPECT_EQ(attribute(message, "envelope_from"), "<absent>");  // same as From
  EXPECT_EQ(attribute(message, "spam_score"), "0.011");
  EXPECT_EQ(attribute(message, "spf"), "pass");
  EXPECT_EQ(message.attachments_size(), 0);

  EXPECT_EQ(message.envelope().idempotency_key(), "email:CAH7x2pQ=order-4471@mail.example.jp");
  EXPECT_EQ(message.envelope().event_id(),
            crypto::derivedId("in-", "email:CAH7x2pQ=order-4471@mail.example.jp", 32));
  EXPECT_EQ(message.envelope().producer(), "connector/sendgrid");
  EXPECT_EQ(message.envelope().received_at().seconds(), 1795425300);
  EXPECT_EQ(message.envelope().trace_id().size(), 32u);
}

TEST(SendGridConnectorTest, ParsedModeDescribesFilePartsWithAttachmentInfo) {
  auto batch = connector().normalize(post(fixture("parsed_attachments.multipart")), kNow);
  const v1::InboundMessage& message = only(batch);
  EXPECT_EQ(message.sender().value(), "ana@example.com");
  EXPECT_EQ(message.text(), "Receipt and photo attached.");
  ASSERT_EQ(message.attachments_size(), 2);
  // Hashes computed with Python's hashlib when the fixture was written.
  EXPECT_EQ(message.attachments(0).name(), "receipt.txt");
  EXPECT_EQ(message.attachments(0).content_type(), "text/plain");
  EXPECT_EQ(message.attachments(0).size_bytes(), 30u);
  EXPECT_EQ(message.attachments(0).sha256(),
            "f7b362feb90a6b40c51e2a73f0feb317b544a9acab209eea329bd20bf34e69f3");
  EXPECT_EQ(message.attachments(1).name(), "parcel.png");
  EXPECT_EQ(message.attachments(1).content_type(), "image/png");
  EXPECT_EQ(message.attachments(1).size_bytes(), 70u);
  EXPECT_EQ(message.attachments(1).sha256(),
            "c414cd0e204de974f73753c7e28d7638e7b3691bb8b1a2bab6b25bb7fed7ce77");
  EXPECT_EQ(attribute(message, "attachments_missing"), "<absent>");
  // No Message-ID in these headers: the key is the digest of the posted content.
  EXPECT_TRUE(message.envelope().idempotency_key().starts_with("email:sha256:"));
  EXPECT_EQ(message.envelope().idempotency_key().size(), 13u + 64u);
}

TEST(SendGridConnectorTest, FlagsFilesTheCountPromisedButThePostLacks) {
  std::string body = fixture("parsed_attachments.multipart");
  const std::string count = "name=\"attachments\"\r\n\r\n2";
  body.replace(body.find(count), count.size(), "name=\"attachments\"\r\n\r\n3");
  auto batch = connector().normalize(post(body), kNow);
  const v1::InboundMessage& message = only(batch);
  EXPECT_EQ(message.attachments_size(), 2);
  EXPECT_EQ(attribute(message, "attachments_missing"), "1");

  body.replace(body.find("name=\"attachments\"\r\n\r\n3"), count.size(),
               "name=\"attachments\"\r\n\r\nx");
  auto invalid = connector().normalize(post(body), kNow);
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().detail(), "attachments must be a number");
}

TEST(SendGridConnectorTest, ContentDigestKeyIsStableAcrossRetriesAndFollowsTheContent) {
  const std::string body = fixture("parsed_attachments.multipart");
  auto first = connector().normalize(post(body), kNow);
  auto retry = connector().normalize(post(body), kNow + std::chrono::hours(1));
  ASSERT_TRUE(first.has_value() && retry.has_value());
  EXPECT_EQ(first->messages[0].envelope().event_id(), retry->messages[0].envelope().event_id());

  std::string edited = body;
  edited.replace(edited.find("Receipt and photo"), 7, "Invoice");
  auto other = connector().normalize(post(edited), kNow);
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(first->messages[0].envelope().event_id(), other->messages[0].envelope().event_id());
}

TEST(SendGridConnectorTest, RawModeNormalizesTheWholeMessage) {
  auto batch = connector().normalize(post(fixture("raw.multipart")), kNow);
  const v1::InboundMessage& message = only(batch);
  EXPECT_EQ(message.provider(), "sendgrid");
  EXPECT_EQ(message.sender().value(), "ana.lima@example.com");
  EXPECT_EQ(message.sender().display_name(), "Lima, Ana");
  EXPECT_EQ(message.recipient().value(), "support@parse.example.com");
  EXPECT_EQ(message.thread().subject(), "Pedido não chegou");
  EXPECT_EQ(message.text(), "Meu pedido não chegou.");
  EXPECT_EQ(message.thread().message_id(), "raw-1@mail.example.com");
  EXPECT_EQ(message.sent_at().seconds(), 1795433400);
  EXPECT_EQ(attribute(message, "envelope_from"), "bounce-77@mailer.example.org");
  EXPECT_EQ(attribute(message, "spf"), "softfail");
  EXPECT_EQ(attribute(message, "spam_score"), "0.1");
  EXPECT_EQ(message.envelope().idempotency_key(), "email:raw-1@mail.example.com");
  EXPECT_EQ(message.envelope().producer(), "connector/sendgrid");
}

TEST(SendGridConnectorTest, RawModeAcceptsTheMessageUploadedAsAFile) {
  const std::string body =
      "--xYzZY\r\n"
      "Content-Disposition: form-data; name=\"email\"; filename=\"message.eml\"\r\n"
      "Content-Type: message/rfc822\r\n\r\n"
      "From: Ana <ana@example.com>\r\nTo: support@parse.example.com\r\n"
      "Message-ID: <file-1@example.com>\r\nSubject: As a file\r\n\r\nHello\r\n"
      "--xYzZY--\r\n";
  auto batch = connector().normalize(post(body), kNow);
  const v1::InboundMessage& message = only(batch);
  EXPECT_EQ(message.thread().subject(), "As a file");
  EXPECT_EQ(message.text(), "Hello");
  EXPECT_EQ(message.envelope().idempotency_key(), "email:file-1@example.com");
}

TEST(SendGridConnectorTest, RefusesMissingOrWrongBasicCredentials) {
  const std::string body = fixture("raw.multipart");
  auto missing = connector().normalize(post(body, std::nullopt), kNow);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::kUnauthenticated);
  EXPECT_EQ(missing.error().reason(), "missing_signature");

  for (const std::string& presented :
       {basic("sendgrid:wrong-password"), basic("other:parse-password-not-a-secret"),
        std::string("Bearer parse-password-not-a-secret"), std::string("Basic %%%%"),
        basic("sendgrid:parse-password-not-a-secret ")}) {
    auto wrong = connector().normalize(post(body, presented), kNow);
    ASSERT_FALSE(wrong.has_value()) << presented;
    EXPECT_EQ(wrong.error().code(), Errc::kForbidden) << presented;
    EXPECT_EQ(wrong.error().reason(), "bad_signature") << presented;
  }
  // The scheme name is case-insensitive (RFC 7617).
  std::string lower = basic(kCredentials);
  lower.replace(0, 5, "basic");
  EXPECT_TRUE(connector().normalize(post(body, lower), kNow).has_value());
}

TEST(SendGridConnectorTest, RefusesMalformedMultipartWithAClearReason) {
  const std::string body = fixture("raw.multipart");
  auto no_boundary =
      connector().normalize(post(body, basic(kCredentials), "multipart/form-data"), kNow);
  ASSERT_FALSE(no_boundary.has_value());
  EXPECT_EQ(no_boundary.error().code(), Errc::kMalformedInput);
  EXPECT_EQ(no_boundary.error().reason(), "malformed_multipart");
  EXPECT_EQ(no_boundary.error().detail(),
            "the multipart/form-data Content-Type has no boundary parameter");

  auto truncated = connector().normalize(post(body.substr(0, body.size() / 2)), kNow);
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error().reason(), "malformed_multipart");
  EXPECT_EQ(truncated.error().detail(),
            "the body ends before the closing boundary delimiter (truncated)");

  auto json = connector().normalize(post("{}", basic(kCredentials), "application/json"), kNow);
  ASSERT_FALSE(json.has_value());
  EXPECT_EQ(json.error().code(), Errc::kUnsupportedMediaType);

  std::string bad_envelope = body;
  bad_envelope.replace(bad_envelope.find("{\"to\":[\"support"), 1, "[");
  auto envelope = connector().normalize(post(bad_envelope), kNow);
  ASSERT_FALSE(envelope.has_value());
  EXPECT_EQ(envelope.error().reason(), "invalid_field");
  EXPECT_EQ(envelope.error().detail(), "envelope must be a JSON object");
}

TEST(SendGridConnectorTest, RefusesAPostWithoutMessageFields) {
  const std::string body =
      "--xYzZY\r\nContent-Disposition: form-data; name=\"spam_score\"\r\n\r\n0.1\r\n--xYzZY--\r\n";
  auto batch = connector().normalize(post(body), kNow);
  ASSERT_FALSE(batch.has_value());
  EXPECT_EQ(batch.error().code(), Errc::kMissingField);
  EXPECT_EQ(batch.error().detail(), "email (raw mode) or from (parsed mode) is required");
}

TEST(SendGridConnectorTest, SettingsAndRegistration) {
  SendGridSettings settings;
  ConnectorRegistry registry;
  ASSERT_TRUE(registerSendGridConnector(registry, settings).has_value());
  EXPECT_EQ(registry.find("sendgrid"), nullptr) << "off without credentials";

  settings.basic_auth = "no-colon";
  EXPECT_EQ(validateSendGridSettings(settings).error().code(), Errc::kConfig);
  settings.basic_auth = "user:";
  EXPECT_EQ(validateSendGridSettings(settings).error().code(), Errc::kConfig);
  settings.basic_auth = std::string(kCredentials);
  ASSERT_TRUE(registerSendGridConnector(registry, settings).has_value());
  const Connector* added = registry.find("sendgrid");
  ASSERT_NE(added, nullptr);
  ASSERT_EQ(added->routes().size(), 1u);
  EXPECT_EQ(added->routes()[0].path, "/v1/email/sendgrid");
}

}  // namespace
}  // namespace switchboard::connectors::email
