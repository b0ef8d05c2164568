// The SMTP/LMTP front end of the ingress path: an smtp::SmtpServer whose sink turns each
// received message into the http::Request the "smtp" connector expects (POST /smtp, the raw
// message as body, the envelope in X-Smtp-* headers) and submits it to the IngressHost, so that
// mail takes exactly the path of a webhook: normalize, produce, dead-letter, metrics. The
// host's answer becomes the final SMTP reply (see outcomeFor(), the one place HTTP statuses
// become SMTP replies): 250 only once Kafka has the event.
// Lifecycle: construct with a host that outlives it, start(), stop() before the host is
// destroyed (stop() waits for outstanding answers up to the server's drain timeout). Messages
// run on the server's I/O threads; answers arrive on the producer's poll thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "connectors/ingress/ingress_host.h"
#include "core/http/http_types.h"
#include "core/metrics/metrics_registry.h"
#include "core/result.h"
#include "core/smtp/smtp_message.h"
#include "core/smtp/smtp_probe.h"
#include "core/smtp/smtp_server.h"

namespace switchboard::connectors {

// The connector the front submits to, and its request contract
// (connectors/email/smtp_email_connector.h).
inline constexpr std::string_view kSmtpConnectorName = "smtp";
inline constexpr std::string_view kSmtpRequestPath = "/smtp";

class SmtpFront {
 public:
  // `metrics` gets the listener's switchboard_smtp_* series (smtp_probe.h).
  SmtpFront(IngressHost& host, smtp::ServerOptions options, metrics::MetricsRegistry& metrics);
  ~SmtpFront();
  SmtpFront(const SmtpFront&) = delete;
  SmtpFront& operator=(const SmtpFront&) = delete;

  Status start();
  uint16_t port() const { return server_.port(); }
  void stop() { server_.stop(); }

  // The request for the "smtp" connector: POST /smtp, body = the message after dot-unstuffing,
  // X-Smtp-Mail-From, X-Smtp-Rcpt-To (comma-separated, no angle brackets), X-Smtp-Protocol
  // ("smtp"/"lmtp"), X-Smtp-Helo, and the client's address.
  static http::Request toRequest(smtp::ReceivedMessage&& message);

  // The ingress host's answer as the final reply: 2xx → 250 2.0.0 (with the event id);
  // 413 → 552 5.3.4; other 4xx → 554 5.6.0 with the error's message; 5xx → 451 4.3.0 (Kafka
  // could not take it: the MTA keeps the mail and retries). 404 means the "smtp" connector is
  // not registered, a deployment mistake rather than bad mail, so it is 451 too.
  static smtp::DeliveryOutcome outcomeFor(const http::Response& answer);

 private:
  IngressHost& host_;
  smtp::SmtpProbe probe_;  // before server_: outlives it
  smtp::SmtpServer server_;
};

}  // namespace switchboard::connectors
