// Meta connector: one webhook for the three Meta channels. Messenger (object "page"),
// Instagram messaging (object "instagram", same envelope) and the WhatsApp Business Cloud API
// (object "whatsapp_business_account") all call the URL configured in the Meta app:
//
//   GET  /v1/meta/webhook?hub.mode=subscribe&hub.verify_token=<t>&hub.challenge=<c>
//        the subscription handshake: 200 text/plain <c> when <t> is the configured token.
//   POST /v1/meta/webhook   X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>
//        {"object":"page","entry":[{"id":PAGE_ID,"messaging":[...]}, ...]}
//
// One POST carries many entries and many events: each customer message becomes one
// InboundMessage; the page's own echoes, read/delivery receipts, reactions, WhatsApp statuses
// and the like are recognised, not routed, and reported as NormalizedBatch::notices. A POST
// is refused only when it is unusable as a whole (signature, content type, JSON, `object`);
// a single event that cannot be used is skipped and counted as notice "unsupported", because
// Meta retries a refused POST as a whole and would hold back the good events with it.
//
// Stateless and immutable after construction; normalize() runs on any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "connectors/connector.h"
#include "connectors/connector_registry.h"

namespace switchboard::connectors::meta {

struct MetaSettings {
  // The Meta app's secret: the HMAC key of X-Hub-Signature-256.
  std::string app_secret;
  // The token chosen when the webhook was subscribed (hub.verify_token).
  std::string verify_token;
  // Unset: enabled exactly when both secrets are configured. true with a secret missing is a
  // configuration error; false never registers.
  std::optional<bool> enabled;
  // Bodies above this are refused (413) before the signature is computed. Meta batches
  // events, so this is larger than the chat connector's.
  size_t max_body_bytes = 1 << 20;
};

class MetaConnector final : public Connector {
 public:
  static constexpr std::string_view kName = "meta";
  static constexpr std::string_view kPath = "/v1/meta/webhook";
  static constexpr std::string_view kProvider = "meta";
  static constexpr std::string_view kProducer = "connector/meta";

  // Both secrets must be non-empty (registerMetaConnector() checks); with either empty every
  // request is refused as a configuration error.
  explicit MetaConnector(MetaSettings settings) : settings_(std::move(settings)) {}

  std::string_view name() const override { return kName; }
  // UNSPECIFIED: the connector serves Messenger, Instagram and WhatsApp; every message carries
  // its own channel.
  v1::Channel channel() const override { return v1::CHANNEL_UNSPECIFIED; }
  std::vector<Route> routes() const override;
  ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const override;

 private:
  ConnectorResult<NormalizedBatch> verifySubscription(const http::Request& request) const;
  ConnectorResult<NormalizedBatch> receive(const http::Request& request,
                                           std::chrono::system_clock::time_point now) const;

  MetaSettings settings_;
};

// Adds the Meta connector when it is enabled (see MetaSettings::enabled). Fails with kConfig
// when it is enabled explicitly but a secret is missing, or when the route is taken.
Status registerMetaConnector(ConnectorRegistry& registry, const MetaSettings& settings);

}  // namespace switchboard::connectors::meta
