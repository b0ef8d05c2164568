#include "connectors/ingress/smtp_front.h"

#include <string>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace switchboard::connectors {
namespace {

// A string member of a JSON object body, or empty; answers that are not JSON give empty.
std::string jsonString(std::string_view body, std::string_view object, std::string_view member) {
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(body, ec);
  if (ec || !root.is_object()) {
    return {};
  }
  const boost::json::object* scope = &root.get_object();
  if (!object.empty()) {
    const boost::json::value* inner = scope->if_contains(object);
    if (inner == nullptr || !inner->is_object()) {
      return {};
    }
    scope = &inner->get_object();
  }
  const boost::json::value* value = scope->if_contains(member);
  if (value == nullptr || !value->is_string()) {
    return {};
  }
  return std::string(value->get_string());
}

std::string errorMessage(const http::Response& answer) {
  std::string message = jsonString(answer.body, "error", "message");
  if (message.empty()) {
    message = jsonString(answer.body, "error", "code");
  }
  return message.empty() ? "status " + std::to_string(answer.status) : message;
}

}  // namespace

SmtpFront::SmtpFront(IngressHost& host, smtp::ServerOptions options,
                     metrics::MetricsRegistry& metrics)
    : host_(host),
      probe_(metrics, options.conversation.protocol),
      server_(
          std::move(options),
          [this](smtp::ReceivedMessage&& message, smtp::DeliveryCallback done) {
            host_.submit(
                kSmtpConnectorName, toRequest(std::move(message)),
                [done = std::move(done)](http::Response answer) { done(outcomeFor(answer)); });
          },
          &probe_) {}

SmtpFront::~SmtpFront() {
  server_.stop();
}

Status SmtpFront::start() {
  return server_.start();
}

http::Request SmtpFront::toRequest(smtp::ReceivedMessage&& message) {
  http::Request request;
  request.method = "POST";
  request.target = std::string(kSmtpRequestPath);
  request.path = request.target;
  std::string rcpt_to;
  for (const std::string& rcpt : message.rcpt_to) {
    if (!rcpt_to.empty()) {
      rcpt_to += ',';
    }
    rcpt_to += rcpt;
  }
  request.headers = {
      {"X-Smtp-Protocol", std::string(smtp::protocolName(message.protocol))},
      {"X-Smtp-Mail-From", std::move(message.mail_from)},
      {"X-Smtp-Rcpt-To", std::move(rcpt_to)},
      {"X-Smtp-Helo", std::move(message.helo)},
  };
  request.body = std::move(message.data);
  request.remote_address = std::move(message.remote_address);
  return request;
}

smtp::DeliveryOutcome SmtpFront::outcomeFor(const http::Response& answer) {
  const int status = answer.status;
  if (status >= 200 && status <= 299) {
    const std::string event_id = jsonString(answer.body, "", "event_id");
    return smtp::DeliveryOutcome::accepted(event_id.empty() ? "Ok: queued"
                                                            : "Ok: queued as " + event_id);
  }
  if (status == 413) {
    return smtp::DeliveryOutcome::rejected(552, "5.3.4", errorMessage(answer));
  }
  if (status == 404 || status >= 500) {
    return smtp::DeliveryOutcome::retryLater("temporary failure (" + errorMessage(answer) +
                                             "), try again later");
  }
  if (status >= 400) {
    return smtp::DeliveryOutcome::rejected(554, "5.6.0", errorMessage(answer));
  }
  // 1xx/3xx never come from the ingress host; treat them as the bug they would be.
  return smtp::DeliveryOutcome::retryLater("unexpected answer " + std::to_string(status));
}

}  // namespace switchboard::connectors
