// X (Twitter) Account Activity API connector, on one URL registered as the app's webhook:
//
// - GET /v1/x/webhook?crc_token=T — the challenge-response check X sends on registration and
//   then periodically: answered 200 {"response_token":"sha256=<base64 HMAC-SHA256(consumer
//   secret, T)>"}. Nothing is produced.
// - POST /v1/x/webhook — account activity for the subscribed users, signed in the
//   x-twitter-webhooks-signature header with the same HMAC over the raw body:
//
//     {"for_user_id":"4337869213", "direct_message_events":[{"type":"message_create",
//      "id":"954491830116155396", "created_timestamp":"1516403560557", "message_create":{
//      "target":{"recipient_id":"4337869213"}, "sender_id":"3001969357",
//      "message_data":{"text":"Hello World!"}}}], "users":{"3001969357":{"name":"…"}}}
//
//   Each message_create a customer sent becomes one InboundMessage. Our own outgoing DMs
//   (sender_id == for_user_id) are echoes, and every other activity (tweets, likes, follows,
//   typing, read receipts, ...) is a notice: answered 200, nothing produced.
//
// Stateless and immutable after construction; normalize() runs on any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "connectors/connector.h"
#include "connectors/connector_registry.h"

namespace switchboard::connectors::x {

struct XSettings {
  // The app's consumer secret ("API key secret"), the HMAC key of both the CRC and the POST
  // signatures. Empty: the connector is not registered. Comes from configuration or the
  // environment, never from source code.
  std::string consumer_secret;
  // Bodies above this are refused (413) before the signature is checked. Tweet events with
  // full user objects are a few tens of KiB.
  size_t max_body_bytes = 1 << 20;
};

class XConnector final : public Connector {
 public:
  static constexpr std::string_view kName = "x";
  static constexpr std::string_view kPath = "/v1/x/webhook";
  static constexpr std::string_view kProvider = "x";
  static constexpr std::string_view kProducer = "connector/x";
  static constexpr std::string_view kSignatureHeader = "x-twitter-webhooks-signature";
  // Longest crc_token answered; see challenge() for why tokens are restricted at all.
  static constexpr size_t kMaxCrcTokenBytes = 256;

  explicit XConnector(XSettings settings) : settings_(std::move(settings)) {}

  std::string_view name() const override { return kName; }
  v1::Channel channel() const override { return v1::CHANNEL_X; }
  std::vector<Route> routes() const override;
  ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const override;

 private:
  ConnectorResult<NormalizedBatch> challenge(const http::Request& request) const;
  ConnectorResult<NormalizedBatch> activity(const http::Request& request,
                                            std::chrono::system_clock::time_point now) const;

  XSettings settings_;
};

// Adds the X connector when settings.consumer_secret is set; kConfig when the name or one of
// the routes is taken.
Status registerXConnector(ConnectorRegistry& registry, const XSettings& settings);

}  // namespace switchboard::connectors::x
