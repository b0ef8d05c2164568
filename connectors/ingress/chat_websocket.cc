#include "connectors/ingress/chat_websocket.h"

#include <array>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "connectors/ingress/ingress_host.h"

namespace switchboard::connectors {
namespace {

namespace json = boost::json;

// Upgrade headers that each frame's request carries: what dead letters record and what a
// proxy adds. Authentication and tracing headers of the upgrade are deliberately left out.
constexpr std::array<std::string_view, 4> kCopiedHeaders = {"User-Agent", "Origin",
                                                            "X-Forwarded-For", "Forwarded"};
constexpr size_t kMaxCopiedHeaderBytes = 1024;

// The frame's message_id, if it is a JSON object with a string one.
json::value clientMessageId(std::string_view frame) {
  std::array<unsigned char, 4096> arena;
  json::monotonic_resource resource(arena.data(), arena.size());
  boost::system::error_code ec;
  json::value parsed = json::parse(frame, ec, &resource);
  if (ec || !parsed.is_object()) {
    return nullptr;
  }
  const json::value* id = parsed.as_object().if_contains("message_id");
  if (id == nullptr || !id->is_string()) {
    return nullptr;
  }
  // From a string_view, so the copy uses the default storage, not the stack arena.
  return json::string(std::string_view(id->as_string()));
}

// The HTTP answer as one ack frame.
std::string ackFrame(const http::Response& answer, json::value message_id) {
  json::object ack;
  ack["status"] = answer.status;
  boost::system::error_code ec;
  json::value body = json::parse(answer.body, ec);
  if (ec) {
    body = json::string(answer.body);
  }
  if (message_id.is_null() && answer.status / 100 == 2 && body.is_object()) {
    if (const json::value* id = body.as_object().if_contains("message_id"); id && id->is_string()) {
      message_id = *id;
    }
  }
  ack["message_id"] = std::move(message_id);
  for (const auto& [name, value] : answer.headers) {
    if (name == "Retry-After") {
      ack["retry_after"] = std::atoi(value.c_str());
    }
  }
  ack["body"] = std::move(body);
  return json::serialize(ack);
}

// The reason of an error answer ({"error":{"code":...}}), as the connector spelled it.
std::string errorCode(const http::Response& answer) {
  boost::system::error_code ec;
  json::value body = json::parse(answer.body, ec);
  if (!ec && body.is_object()) {
    if (const json::value* error = body.as_object().if_contains("error");
        error && error->is_object()) {
      if (const json::value* code = error->as_object().if_contains("code");
          code && code->is_string()) {
        return std::string(code->as_string());
      }
    }
  }
  return "internal";
}

}  // namespace

// One client's session. Frames and the close run on the connection's strand; acks are built
// on whichever thread answers (a Kafka delivery report).
class ChatWebSocket::Connection final : public http::WebSocketConnection {
 public:
  Connection(ChatWebSocket& owner, const http::Request& upgrade)
      : owner_(owner), remote_address_(upgrade.remote_address) {
    for (std::string_view name : kCopiedHeaders) {
      if (auto value = upgrade.header(name)) {
        headers_.emplace_back(std::string(name),
                              std::string(value->substr(0, kMaxCopiedHeaderBytes)));
      }
    }
    headers_.emplace_back("Content-Type", "application/json");
    owner_.probe_.connectionOpened();
  }

  void onText(std::string&& frame, http::WebSocketReply reply) override {
    http::Request request;
    request.method = "POST";
    request.target = std::string(kMessagesPath);
    request.path = std::string(kMessagesPath);
    request.headers = headers_;
    request.remote_address = remote_address_;
    json::value message_id = clientMessageId(frame);
    request.body = std::move(frame);
    owner_.host_.submit(kConnector, std::move(request),
                        [probe = &owner_.probe_, reply = std::move(reply),
                         message_id = std::move(message_id)](http::Response answer) mutable {
                          if (answer.status / 100 == 2) {
                            probe->frameAccepted();
                          } else if (answer.status == 503) {
                            probe->frameUnavailable();
                          } else {
                            probe->frameRejected(errorCode(answer));
                          }
                          reply(ackFrame(answer, std::move(message_id)));
                        });
  }

  void onClosed(http::WebSocketCloseCause cause) override { owner_.probe_.connectionClosed(cause); }

 private:
  ChatWebSocket& owner_;
  const std::string remote_address_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

ChatWebSocket::ChatWebSocket(IngressHost& host, metrics::MetricsRegistry& metrics,
                             ChatWebSocketOptions options)
    : host_(host), probe_(metrics), options_(std::move(options)) {}

void ChatWebSocket::attach(http::HttpServer& server) {
  server.routeWebSocket(
      options_.path,
      [this](const http::Request& upgrade) -> http::WebSocketAccept {
        return std::make_unique<Connection>(*this, upgrade);
      },
      options_.socket);
}

}  // namespace switchboard::connectors
