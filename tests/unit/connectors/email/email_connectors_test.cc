#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "connectors/email/raw_email_connector.h"
#include "connectors/email/smtp_email_connector.h"
#include "connectors/register_all.h"
#include "core/http/error_status.h"
#include "tests/unit/connectors/email/email_testdata.h"

namespace switchboard::connectors::email {
namespace {

using testing::emailTestdata;

const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::time_point(std::chrono::seconds(1715342400));

// Test-only secret; real ones come from SWITCHBOARD_EMAIL_INBOUND_TOKEN.
constexpr std::string_view kToken = "test-inbound-token-7f3c";

RawEmailConnector rawConnector() {
  RawEmailSettings settings;
  settings.inbound_token = std::string(kToken);
  return RawEmailConnector(settings);
}

http::Request rawRequest(std::string body, std::optional<std::string> authorization,
                         std::string content_type = "message/rfc822") {
  http::Request request;
  request.method = "POST";
  request.target = "/v1/email/raw";
  request.path = "/v1/email/raw";
  if (authorization) request.headers.emplace_back("Authorization", *authorization);
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  request.body = std::move(body);
  request.remote_address = "192.0.2.10";
  return request;
}

void expectRejected(const ConnectorResult<NormalizedBatch>& result, int status,
                    std::string_view reason) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(http::httpStatusFor(result.error().code()), status) << result.error().detail();
  EXPECT_EQ(result.error().reason(), reason);
  EXPECT_FALSE(result.error().detail().empty());
}

TEST(RawEmailConnectorTest, AcceptsBearerTokenAndAnswers202) {
  http::Request request =
      rawRequest(emailTestdata("gmail_reply_alternative.eml"), "Bearer " + std::string(kToken));
  request.headers.emplace_back("X-Envelope-From", "<bounce@mailer.example.net>");
  request.headers.emplace_back("X-Envelope-To", " <Sales@Example.com> , support@example.com");
  request.headers.emplace_back("traceparent",
                               "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ConnectorResult<NormalizedBatch> result = rawConnector().normalize(request, kNow);
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  ASSERT_EQ(result->messages.size(), 1u);
  const v1::InboundMessage& m = result->messages[0];
  EXPECT_EQ(m.provider(), "http");
  EXPECT_EQ(m.recipient().value(), "sales@example.com");
  EXPECT_EQ(m.attributes().at("envelope_from"), "bounce@mailer.example.net");
  EXPECT_EQ(m.envelope().producer(), "connector/email");
  EXPECT_EQ(m.envelope().trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");

  EXPECT_EQ(result->accepted.status, 202);
  boost::json::value body = boost::json::parse(result->accepted.body);
  EXPECT_EQ(body.at("status").as_string(), "accepted");
  EXPECT_EQ(body.at("event_id").as_string(), m.envelope().event_id());
  EXPECT_EQ(body.at("idempotency_key").as_string(), "email:CAF+gmail-3@mail.gmail.com");
  EXPECT_EQ(body.at("message_id").as_string(), "CAF+gmail-3@mail.gmail.com");
}

TEST(RawEmailConnectorTest, AcceptsBasicWithTheTokenAsPassword) {
  // base64("mta:test-inbound-token-7f3c")
  ConnectorResult<NormalizedBatch> result =
      rawConnector().normalize(rawRequest(emailTestdata("apple_mail_reply.eml"),
                                          "Basic bXRhOnRlc3QtaW5ib3VuZC10b2tlbi03ZjNj"),
                               kNow);
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_EQ(result->messages[0].sender().value(), "mei.chen@example.com");
}

TEST(RawEmailConnectorTest, RefusesMissingOrWrongCredentials) {
  const std::string mail = emailTestdata("apple_mail_reply.eml");
  expectRejected(rawConnector().normalize(rawRequest(mail, std::nullopt), kNow), 401,
                 "missing_signature");
  expectRejected(rawConnector().normalize(rawRequest(mail, "Bearer "), kNow), 401,
                 "missing_signature");
  expectRejected(rawConnector().normalize(rawRequest(mail, "Bearer test-inbound-token-7f3"), kNow),
                 403, "bad_signature");
  expectRejected(
      rawConnector().normalize(rawRequest(mail, "Bearer " + std::string(kToken) + "x"), kNow), 403,
      "bad_signature");
  // base64("mta:wrong"), and not base64 at all.
  expectRejected(rawConnector().normalize(rawRequest(mail, "Basic bXRhOndyb25n"), kNow), 403,
                 "bad_signature");
  expectRejected(rawConnector().normalize(rawRequest(mail, "Basic %%%%"), kNow), 403,
                 "bad_signature");
  expectRejected(rawConnector().normalize(rawRequest(mail, std::string(kToken)), kNow), 403,
                 "bad_signature");
}

TEST(RawEmailConnectorTest, RefusesOtherContentTypesAndBadMail) {
  const std::string auth = "Bearer " + std::string(kToken);
  expectRejected(rawConnector().normalize(
                     rawRequest(emailTestdata("apple_mail_reply.eml"), auth, "text/plain"), kNow),
                 415, "wrong_content_type");
  expectRejected(
      rawConnector().normalize(rawRequest(emailTestdata("apple_mail_reply.eml"), auth, ""), kNow),
      415, "wrong_content_type");
  expectRejected(
      rawConnector().normalize(rawRequest(emailTestdata("malformed_no_from.eml"), auth), kNow), 400,
      "malformed_mime");
}

TEST(RawEmailConnectorTest, RegisteredOnlyWithAToken) {
  ConnectorRegistry registry;
  ASSERT_TRUE(registerRawEmailConnector(registry, RawEmailSettings{}).has_value());
  EXPECT_TRUE(registry.empty());
  RawEmailSettings settings;
  settings.inbound_token = std::string(kToken);
  ASSERT_TRUE(registerRawEmailConnector(registry, settings).has_value());
  const Connector* connector = registry.find("email");
  ASSERT_NE(connector, nullptr);
  EXPECT_EQ(connector->channel(), v1::CHANNEL_EMAIL);
  ASSERT_EQ(connector->routes().size(), 1u);
  EXPECT_EQ(connector->routes()[0].path, "/v1/email/raw");
}

http::Request smtpRequest(std::string body, std::string protocol) {
  http::Request request;
  request.method = "POST";
  request.target = "/smtp";
  request.path = "/smtp";
  request.headers = {{"X-Smtp-Mail-From", "ana.lima@example.org"},
                     {"X-Smtp-Rcpt-To", "help@example.com,support@example.com"},
                     {"X-Smtp-Protocol", std::move(protocol)}};
  request.body = std::move(body);
  request.remote_address = "198.51.100.7";
  return request;
}

TEST(SmtpEmailConnectorTest, NormalizesWhatTheFrontEndHandsOver) {
  SmtpEmailConnector connector;
  EXPECT_TRUE(connector.routes().empty());
  ConnectorResult<NormalizedBatch> result =
      connector.normalize(smtpRequest(emailTestdata("gmail_reply_alternative.eml"), "lmtp"), kNow);
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  const v1::InboundMessage& m = result->messages[0];
  EXPECT_EQ(m.provider(), "lmtp");
  EXPECT_EQ(m.recipient().value(), "help@example.com");  // the first RCPT TO
  EXPECT_EQ(m.attributes().count("envelope_from"), 0u);  // same as From
  EXPECT_EQ(m.envelope().producer(), "connector/smtp");
  EXPECT_EQ(result->accepted.status, 202);

  result = connector.normalize(smtpRequest(emailTestdata("apple_mail_reply.eml"), "smtp"), kNow);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->messages[0].provider(), "smtp");
}

TEST(SmtpEmailConnectorTest, RefusesAnUnknownProtocolAndBadMail) {
  SmtpEmailConnector connector;
  expectRejected(
      connector.normalize(smtpRequest(emailTestdata("apple_mail_reply.eml"), "esmtp"), kNow), 400,
      "invalid_field");
  expectRejected(
      connector.normalize(smtpRequest(emailTestdata("malformed_no_from.eml"), "smtp"), kNow), 400,
      "malformed_mime");
  SmtpEmailSettings small;
  small.limits.max_message_bytes = 64;
  expectRejected(SmtpEmailConnector(small).normalize(
                     smtpRequest(emailTestdata("apple_mail_reply.eml"), "smtp"), kNow),
                 413, "body_too_large");
}

TEST(SmtpEmailConnectorTest, AlwaysRegisteredWithoutRoutes) {
  ConnectorRegistry registry;
  ASSERT_TRUE(registerAllConnectors(registry, ConnectorSettings{}).has_value());
  ASSERT_NE(registry.find("smtp"), nullptr);
  EXPECT_TRUE(registry.find("smtp")->routes().empty());
  EXPECT_EQ(registry.find("email"), nullptr);  // no inbound token configured
}

TEST(EmailEnvelopeListTest, SplitsCommaSeparatedAddresses) {
  EXPECT_EQ(splitEnvelopeList(" a@x.example, <b@y.example>,,c@z.example "),
            (std::vector<std::string>{"a@x.example", "b@y.example", "c@z.example"}));
  EXPECT_TRUE(splitEnvelopeList("").empty());
  EXPECT_TRUE(splitEnvelopeList("<>").empty());
}

}  // namespace
}  // namespace switchboard::connectors::email
