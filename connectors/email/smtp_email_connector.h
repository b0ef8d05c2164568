// The email connector behind the SMTP/LMTP front end. It has no HTTP route: the front end,
// once it has the whole message of a transaction, hands it over in-process with
// IngressHost::submit("smtp", request, respond) and turns the answer into SMTP replies (a 2xx
// into 250, 503 into 451, 4xx into 554 ...).
//
// Request contract (what the front end builds; nothing here comes from a stranger's headers):
//   method          "POST"
//   path, target    "/smtp"
//   body            the message as received after DATA, dot-unstuffed, without the final "."
//   headers         X-Smtp-Mail-From   the reverse-path without angle brackets ("" for <>)
//                   X-Smtp-Rcpt-To     the accepted forward-paths, comma-separated, in order,
//                                      without angle brackets
//                   X-Smtp-Protocol    "smtp" or "lmtp": becomes InboundMessage.provider
//   remote_address  the client's IP address
// Content-Type is not required. Answer: 202 with the event id (as RawEmailConnector), or the
// normalizer's refusal (400 malformed_mime, 413 body_too_large).
// Always registered; stateless and immutable after construction; normalize() runs on any
// thread.
#pragma once

#include "connectors/connector.h"
#include "connectors/connector_registry.h"
#include "connectors/email/email_normalizer.h"

namespace switchboard::connectors::email {

struct SmtpEmailSettings {
  EmailLimits limits;
};

class SmtpEmailConnector final : public Connector {
 public:
  static constexpr std::string_view kName = "smtp";
  static constexpr std::string_view kPath = "/smtp";
  static constexpr std::string_view kProducer = "connector/smtp";
  static constexpr std::string_view kMailFromHeader = "X-Smtp-Mail-From";
  static constexpr std::string_view kRcptToHeader = "X-Smtp-Rcpt-To";
  static constexpr std::string_view kProtocolHeader = "X-Smtp-Protocol";

  explicit SmtpEmailConnector(SmtpEmailSettings settings = {}) : limits_(settings.limits) {}

  std::string_view name() const override { return kName; }
  v1::Channel channel() const override { return v1::CHANNEL_EMAIL; }
  // None: reached only through IngressHost::submit().
  std::vector<Route> routes() const override { return {}; }
  ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const override;

 private:
  EmailLimits limits_;
};

Status registerSmtpEmailConnector(ConnectorRegistry& registry, const SmtpEmailSettings& settings);

}  // namespace switchboard::connectors::email
