// The HTTP side of a process: one server carrying the connectors' ingress routes, the agent
// API, /metrics, /healthz and /readyz. Which parts are mounted depends on the command. With
// --smtp-port it also runs the SMTP/LMTP listener, which feeds the same ingress host.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "app/options.h"
#include "connectors/connector_registry.h"
#include "connectors/ingress/ingress_host.h"
#include "connectors/ingress/smtp_front.h"
#include "core/http/http_probe.h"
#include "core/http/http_server.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"
#include "router/api/agent_api.h"

namespace switchboard::app {

class HttpFront {
 public:
  struct Parts {
    bool ingress = false;    // connectors' routes
    bool agent_api = false;  // helpdesk-facing agent API
    // With the agent API: the routing policy, so that unknown domains are refused (400).
    const router::PolicyHolder* policy = nullptr;
  };
  // `ready` answers /readyz (200 when true, 503 otherwise).
  static Result<std::unique_ptr<HttpFront>> start(const Options& options, Parts parts,
                                                  kafka::Producer& producer,
                                                  metrics::MetricsRegistry& metrics,
                                                  std::function<bool()> ready);
  uint16_t port() const { return server_->port(); }
  // The SMTP/LMTP listener's port, when --smtp-port started one.
  std::optional<uint16_t> smtpPort() const;
  // SMTP first: its last messages still go through the ingress host and the producer.
  void stop();

 private:
  std::unique_ptr<http::HttpProbe> http_probe_;  // before server_: outlives it
  std::unique_ptr<http::HttpServer> server_;
  connectors::ConnectorRegistry registry_;
  std::unique_ptr<connectors::IngressHost> ingress_;
  std::unique_ptr<connectors::SmtpFront> smtp_;  // after ingress_: destroyed before it
  std::unique_ptr<router::AgentApi> agent_api_;
};

}  // namespace switchboard::app
