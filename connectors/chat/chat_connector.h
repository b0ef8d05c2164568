// Web chat connector: our own widget (or a helpdesk's chat backend) posts one visitor message
// as JSON to POST /v1/chat/messages. There is no provider signature; deployments put the
// route behind their edge (CORS, rate limits, session auth).
//
//   {"visitor_id":"v-42", "message_id":"c-1", "session_id":"s-9", "text":"Hi",
//    "name":"Ana", "email":"ana@example.com", "language":"pt-BR",
//    "attributes":{"page":"/pricing"}}
//
// visitor_id and text are required. message_id is the idempotency key: a client that retries
// with the same message_id gets the same event id, and the router drops the repeat. Without
// it the connector generates one (and says so in the answer), so retries are not recognised.
// Stateless and immutable after construction; normalize() runs on any thread.
#pragma once

#include <cstddef>

#include "connectors/connector.h"
#include "connectors/connector_registry.h"

namespace switchboard::connectors::chat {

struct ChatSettings {
  bool enabled = true;
  // Bodies above this are refused (413) before parsing.
  size_t max_body_bytes = 64 << 10;
  // Unicode code points of "text".
  size_t max_text_chars = 8192;
  size_t max_attributes = 32;
};

class ChatConnector final : public Connector {
 public:
  static constexpr std::string_view kName = "chat";
  static constexpr std::string_view kPath = "/v1/chat/messages";
  static constexpr std::string_view kProvider = "webchat";
  static constexpr std::string_view kProducer = "connector/chat";

  explicit ChatConnector(ChatSettings settings = {}) : settings_(settings) {}

  std::string_view name() const override { return kName; }
  v1::Channel channel() const override { return v1::CHANNEL_CHAT; }
  std::vector<Route> routes() const override;
  ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const override;

 private:
  ChatSettings settings_;
};

// Adds the chat connector unless settings.enabled is false.
Status registerChatConnector(ConnectorRegistry& registry, const ChatSettings& settings);

}  // namespace switchboard::connectors::chat
