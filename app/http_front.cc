#include "app/http_front.h"

#include "connectors/register_all.h"
#include "core/log.h"

namespace switchboard::app {

Result<std::unique_ptr<HttpFront>> HttpFront::start(const Options& options, Parts parts,
                                                    kafka::Producer& producer,
                                                    metrics::MetricsRegistry& metrics,
                                                    std::function<bool()> ready) {
  std::unique_ptr<HttpFront> front(new HttpFront());
  http::ServerOptions so;
  so.address = options.http_address;
  so.port = options.http_port;
  so.max_body_bytes = options.max_body_bytes;
  so.max_header_fields = options.max_header_fields;
  so.max_connections = options.http_max_connections;
  so.header_timeout = options.http_header_timeout;
  so.read_timeout = options.http_read_timeout;
  so.idle_timeout = options.http_idle_timeout;
  so.threads = options.http_threads;
  front->http_probe_ = std::make_unique<http::HttpProbe>(metrics);
  front->server_ = std::make_unique<http::HttpServer>(so, front->http_probe_.get());
  if (parts.ingress) {
    SB_RETURN_IF_ERROR(connectors::registerAllConnectors(front->registry_, options.connectors));
    connectors::IngressOptions io;
    io.max_inflight_requests = options.max_inflight_requests;
    io.max_inflight_bytes = options.max_inflight_bytes;
    front->ingress_ = std::make_unique<connectors::IngressHost>(producer, options.topics(), metrics,
                                                                front->registry_, io);
    front->ingress_->attach(*front->server_);
  }
  if (parts.agent_api) {
    router::AgentApiOptions ao;
    ao.bearer_token = options.agent_api_token;
    ao.allow_unauthenticated = options.agent_api_insecure && options.agent_api_token.empty();
    if (ao.allow_unauthenticated) {
      log::warn("http",
                "--agent-api-insecure: the agent API accepts calls without a token; "
                "keep it behind a trusted network edge");
    }
    ao.policy = parts.policy;
    front->agent_api_ = std::make_unique<router::AgentApi>(producer, options.topics(), metrics, ao);
    front->agent_api_->attach(*front->server_);
  }
  front->server_->route("GET", "/metrics", [&metrics](http::Request&&, http::Responder respond) {
    respond({.status = 200,
             .content_type = "text/plain; version=0.0.4; charset=utf-8",
             .body = metrics.render()});
  });
  front->server_->route("GET", "/healthz", [](http::Request&&, http::Responder respond) {
    respond({.status = 200, .body = R"({"status":"ok"})"});
  });
  front->server_->route("GET", "/readyz", [ready](http::Request&&, http::Responder respond) {
    if (ready()) {
      respond({.status = 200, .body = R"({"status":"ready"})"});
    } else {
      respond({.status = 503, .body = R"({"status":"starting"})"});
    }
  });
  SB_RETURN_IF_ERROR(front->server_->start());
  if (parts.ingress && options.smtp_port) {
    smtp::ServerOptions so;
    so.address = options.smtp_address;
    so.port = *options.smtp_port;
    so.threads = 1;
    so.conversation.protocol = options.lmtp ? smtp::Protocol::kLmtp : smtp::Protocol::kSmtp;
    so.conversation.max_message_bytes = options.smtp_max_message_bytes;
    front->smtp_ = std::make_unique<connectors::SmtpFront>(*front->ingress_, so, metrics);
    if (Status s = front->smtp_->start(); !s) {
      front->server_->stop();
      return makeError(s.error().code(), "smtp: " + s.error().message());
    }
  }
  return front;
}

std::optional<uint16_t> HttpFront::smtpPort() const {
  if (!smtp_) return std::nullopt;
  return smtp_->port();
}

void HttpFront::stop() {
  if (smtp_) smtp_->stop();
  server_->stop();
}

}  // namespace switchboard::app
