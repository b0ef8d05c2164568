// Telegram Bot API connector. Telegram POSTs one JSON `Update` per request to
// POST /v1/telegram/webhook, the URL given to setWebhook(url, secret_token=...), and puts that
// secret token in the X-Telegram-Bot-Api-Secret-Token header of every request.
//
//   {"update_id":10000, "message":{"message_id":1365, "date":1441645532,
//    "from":{"id":1111111,"is_bot":false,"first_name":"Test","username":"Test"},
//    "chat":{"id":1111111,"type":"private"}, "text":"/start"}}
//
// `message` and `edited_message` from people become one InboundMessage each (an edit is routed
// like a new message, marked attributes["edited"]="true", with its own event id). Every other
// kind of update (callback_query, channel_post, my_chat_member, ...), messages from bots and
// messages with neither text nor a file are notices: answered 200, nothing produced.
// Stateless and immutable after construction; normalize() runs on any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/connector_registry.h"

namespace switchboard::connectors::telegram {

struct TelegramSettings {
  // setWebhook's secret_token: 1-256 characters of A-Z a-z 0-9 _ -. Empty: the connector is not
  // registered. Comes from configuration or the environment, never from source code.
  std::string secret_token;
  // The bot's numeric user id (the digits before ':' in its token). Optional. When set it is the
  // recipient's account id and part of every idempotency key, so that update ids (a per-bot
  // sequence) of two bots, or of a bot that replaced another, never collide.
  std::string bot_id;
  // Bodies above this are refused (413) before parsing. Updates are a few KiB.
  size_t max_body_bytes = 1 << 20;
};

// kConfig unless the secret token and bot id have the shapes Telegram allows.
Status validateTelegramSettings(const TelegramSettings& settings);

class TelegramConnector final : public Connector {
 public:
  static constexpr std::string_view kName = "telegram";
  static constexpr std::string_view kPath = "/v1/telegram/webhook";
  static constexpr std::string_view kProvider = "telegram";
  static constexpr std::string_view kProducer = "connector/telegram";
  static constexpr std::string_view kSecretHeader = "X-Telegram-Bot-Api-Secret-Token";

  // `settings` must pass validateTelegramSettings().
  explicit TelegramConnector(TelegramSettings settings);

  std::string_view name() const override { return kName; }
  v1::Channel channel() const override { return v1::CHANNEL_TELEGRAM; }
  std::vector<Route> routes() const override;
  ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const override;

 private:
  bool secretMatches(std::string_view presented) const;

  std::string secret_digest_;  // sha256Hex(secret_token): compared in constant time
  std::string bot_id_;
  size_t max_body_bytes_;
};

// Adds the Telegram connector when settings.secret_token is set; kConfig when the settings are
// malformed or the name or route is taken.
Status registerTelegramConnector(ConnectorRegistry& registry, const TelegramSettings& settings);

}  // namespace switchboard::connectors::telegram
