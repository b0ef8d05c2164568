// Raw email over HTTP: POST /v1/email/raw with the whole RFC 5322 message as the body
// (Content-Type: message/rfc822), for an MTA's HTTP delivery hook (Postfix pipe + curl,
// Haraka, a mail provider's "forward raw MIME" webhook) or a script importing mail.
//
//   POST /v1/email/raw
//   Authorization: Bearer <SWITCHBOARD_EMAIL_INBOUND_TOKEN>    (or Basic, any user name)
//   Content-Type: message/rfc822
//   X-Envelope-From: bounce-123@mailer.example.net              (optional, MAIL FROM)
//   X-Envelope-To: support@example.com, sales@example.com       (optional, RCPT TO, in order)
//
// The token is checked before anything else is read. The message becomes one InboundMessage
// (see normalizeRawEmail(): the Message-ID is the idempotency key, so a retried POST is one
// event), provider "http", producer "connector/email". Answer: 202 with the event id.
// Stateless and immutable after construction; normalize() runs on any thread.
#pragma once

#include <string>

#include "connectors/connector.h"
#include "connectors/connector_registry.h"
#include "connectors/email/email_normalizer.h"
#include "connectors/email/inbound_token.h"

namespace switchboard::connectors::email {

struct RawEmailSettings {
  // The shared secret callers present. Empty: the connector is not registered (its route
  // answers 404). A secret: from the environment (SWITCHBOARD_EMAIL_INBOUND_TOKEN), never
  // logged. The HTTP server's own body limit (--max-body-bytes) applies before this one.
  std::string inbound_token;
  EmailLimits limits;

  bool isEnabled() const { return !inbound_token.empty(); }
};

class RawEmailConnector final : public Connector {
 public:
  static constexpr std::string_view kName = "email";
  static constexpr std::string_view kPath = "/v1/email/raw";
  static constexpr std::string_view kProvider = "http";
  static constexpr std::string_view kProducer = "connector/email";
  static constexpr std::string_view kEnvelopeFromHeader = "X-Envelope-From";
  static constexpr std::string_view kEnvelopeToHeader = "X-Envelope-To";

  explicit RawEmailConnector(RawEmailSettings settings);

  std::string_view name() const override { return kName; }
  v1::Channel channel() const override { return v1::CHANNEL_EMAIL; }
  std::vector<Route> routes() const override;
  ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const override;

 private:
  InboundToken token_;
  EmailLimits limits_;
};

// Adds the raw email connector when settings.isEnabled(); kConfig when its route is taken.
Status registerRawEmailConnector(ConnectorRegistry& registry, const RawEmailSettings& settings);

// "a@x, <b@y>,c@z" → {"a@x", "b@y", "c@z"}: the comma-separated address lists of the envelope
// headers of this connector and of SmtpEmailConnector (trimmed, angle brackets removed,
// empty items dropped).
std::vector<std::string> splitEnvelopeList(std::string_view value);

}  // namespace switchboard::connectors::email
