// The SMTP front's two pure halves: the request it builds for the "smtp" connector, and the
// one mapping from the ingress host's answers to SMTP replies.
#include "connectors/ingress/smtp_front.h"

#include <gtest/gtest.h>

#include "core/http/error_status.h"

namespace switchboard::connectors {
namespace {

using smtp::DeliveryOutcome;

TEST(SmtpFrontTest, BuildsTheConnectorRequest) {
  smtp::ReceivedMessage message{.protocol = smtp::Protocol::kLmtp,
                                .helo = "mx.example.net",
                                .mail_from = "Ana@Example.com",
                                .rcpt_to = {"support@shop.example", "sales@shop.example"},
                                .remote_address = "10.0.0.5",
                                .data = "Subject: hi\r\n\r\nbody\r\n"};
  const http::Request request = SmtpFront::toRequest(std::move(message));
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/smtp");
  EXPECT_EQ(request.target, "/smtp");
  EXPECT_EQ(request.body, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(request.remote_address, "10.0.0.5");
  EXPECT_EQ(request.header("X-Smtp-Mail-From"), "Ana@Example.com");
  EXPECT_EQ(request.header("X-Smtp-Rcpt-To"), "support@shop.example,sales@shop.example");
  EXPECT_EQ(request.header("X-Smtp-Protocol"), "lmtp");
  EXPECT_EQ(request.header("X-Smtp-Helo"), "mx.example.net");
}

TEST(SmtpFrontTest, NullReversePathIsAnEmptyHeader) {
  const http::Request request =
      SmtpFront::toRequest({.mail_from = "", .rcpt_to = {"a@b.example"}, .data = "x"});
  EXPECT_EQ(request.header("X-Smtp-Mail-From"), "");
  EXPECT_EQ(request.header("X-Smtp-Protocol"), "smtp");
}

TEST(SmtpFrontTest, AcceptedBecomes250WithTheEventId) {
  const DeliveryOutcome outcome = SmtpFront::outcomeFor(
      {.status = 202,
       .body = R"({"status":"accepted","event_id":"in-8baf","idempotency_key":"email:x"})"});
  EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::kAccepted);
  EXPECT_EQ(outcome.code, 250);
  EXPECT_EQ(outcome.enhanced, "2.0.0");
  EXPECT_EQ(outcome.text, "Ok: queued as in-8baf");
  EXPECT_EQ(SmtpFront::outcomeFor({.status = 200, .body = "not json"}).text, "Ok: queued");
}

TEST(SmtpFrontTest, KafkaTroubleBecomes451) {
  const DeliveryOutcome outcome = SmtpFront::outcomeFor(
      http::unavailableResponse(std::chrono::seconds(5), "Kafka did not take the message"));
  EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::kRetryLater);
  EXPECT_EQ(outcome.code, 451);
  EXPECT_EQ(outcome.enhanced, "4.3.0");
  EXPECT_NE(outcome.text.find("Kafka did not take the message"), std::string::npos) << outcome.text;
  EXPECT_EQ(SmtpFront::outcomeFor(http::jsonError(500, "internal", "bug")).code, 451);
  // The connector is missing: a deployment problem, so the MTA keeps the mail.
  EXPECT_EQ(SmtpFront::outcomeFor(http::jsonError(404, "unknown_connector", "no smtp")).code, 451);
}

TEST(SmtpFrontTest, TooLargeBecomes552) {
  const DeliveryOutcome outcome = SmtpFront::outcomeFor(
      http::errorResponse(Errc::kTooLarge, "body_too_large", "message exceeds 26214400 bytes"));
  EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::kRejected);
  EXPECT_EQ(outcome.code, 552);
  EXPECT_EQ(outcome.enhanced, "5.3.4");
  EXPECT_EQ(outcome.text, "message exceeds 26214400 bytes");
}

TEST(SmtpFrontTest, OtherRefusalsBecome554WithTheMessage) {
  const DeliveryOutcome outcome = SmtpFront::outcomeFor(http::errorResponse(
      Errc::kMalformedInput, "malformed_mime", "no From address in the message"));
  EXPECT_EQ(outcome.kind, DeliveryOutcome::Kind::kRejected);
  EXPECT_EQ(outcome.code, 554);
  EXPECT_EQ(outcome.enhanced, "5.6.0");
  EXPECT_EQ(outcome.text, "no From address in the message");
  // Without a JSON message, the status is named.
  EXPECT_EQ(SmtpFront::outcomeFor({.status = 400, .body = ""}).text, "status 400");
}

}  // namespace
}  // namespace switchboard::connectors
