// Mailgun routes: a route's forward("https://host/v1/email/mailgun") action POSTs each mail it
// matches, as application/x-www-form-urlencoded or, when the mail has attachments,
// multipart/form-data:
//
//   parsed (POST /v1/email/mailgun): `sender` (MAIL FROM), `recipient` (RCPT TO), `from`,
//       `subject`, `message-headers` (JSON list of [name, value] pairs, in order: Message-Id,
//       In-Reply-To, References, Date, Reply-To are read from it), `body-plain`, `body-html`,
//       `stripped-text` (Mailgun's own split of the new text, preferred when present),
//       `stripped-signature`, `attachment-count`, the file parts `attachment-1` …
//       `attachment-N`, `content-id-map`. Built as raw mode would build it (parsed_email.h).
//   raw MIME (a forward() URL ending in "mime": POST /v1/email/mailgun/mime, preferred):
//       `body-mime` = the whole RFC 5322 message, plus `sender`, `recipient`, `from`,
//       `subject`; the message goes through normalizeRawEmail() whole.
//
// Both carry `timestamp`, `token` and `signature` (mailgun_signature.h), checked before any
// other field is read: HMAC with the HTTP webhook signing key (SWITCHBOARD_MAILGUN_SIGNING_KEY;
// the connector is off without it) → 403 bad_signature; timestamp further than
// `timestamp_tolerance` from our clock either way → 401 stale_timestamp; a token already used
// within the window → 403 bad_signature (the in-memory, per-process TokenReplayCache).
//
// Answers: 200 once the message is durable (Mailgun treats only 200 as delivered, so not 202).
// Mailgun stops retrying on 200 and on 406 only; every other answer is retried for 8 hours
// (10 min, 15 min, 30 min, 1 h, 2 h, 4 h). So rejectionAnswer() turns every refusal of the
// content itself — 400 (malformed form, JSON or MIME; missing fields), 413 (too large), 415
// (content type) — into 406 with the same JSON error: retrying cannot fix it. Signature
// failures stay 401/403: they are not Mailgun's own requests, or (stale, replayed) a retry
// signs afresh. Only our 503 (Kafka unavailable) is meant to be retried.
// Immutable after construction except for the thread-safe replay cache; normalize() runs on
// any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/connector_registry.h"
#include "connectors/email/email_normalizer.h"
#include "connectors/email/mailgun_signature.h"
#include "connectors/email/multipart_form.h"

namespace switchboard::connectors::email {

struct MailgunSettings {
  // The HTTP webhook signing key (Mailgun dashboard → Webhooks). Empty: the connector is not
  // registered (404). A secret: from SWITCHBOARD_MAILGUN_SIGNING_KEY, never logged.
  std::string signing_key;
  // How far the signed timestamp may be from our clock, either way.
  std::chrono::seconds timestamp_tolerance{300};
  // Tokens remembered for replay detection (each for its timestamp's remaining window).
  size_t replay_cache_capacity = 100000;
  EmailLimits limits;
  // Mailgun accepts mail up to 25 MB; the HTTP server's --max-body-bytes (1 MiB by default)
  // must be raised for attachments and raw MIME to get through.
  FormLimits form = {.max_body_bytes = 32 << 20,
                     .max_parts = 256,
                     .max_field_bytes = 4 << 20,
                     .large_fields = {"body-mime"}};

  bool isEnabled() const { return !signing_key.empty(); }
};

// kConfig when enabled with a tolerance outside 1 s … 1 day or a zero cache capacity.
Status validateMailgunSettings(const MailgunSettings& settings);

class MailgunConnector final : public Connector {
 public:
  static constexpr std::string_view kName = "mailgun";
  static constexpr std::string_view kPath = "/v1/email/mailgun";
  static constexpr std::string_view kMimePath = "/v1/email/mailgun/mime";
  static constexpr std::string_view kProvider = "mailgun";
  static constexpr std::string_view kProducer = "connector/mailgun";

  // `settings` must pass validateMailgunSettings().
  explicit MailgunConnector(MailgunSettings settings);

  std::string_view name() const override { return kName; }
  v1::Channel channel() const override { return v1::CHANNEL_EMAIL; }
  std::vector<Route> routes() const override;
  ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const override;
  http::Response rejectionAnswer(const Rejection& rejection) const override;

 private:
  std::optional<Rejection> checkSignature(const std::vector<FormPart>& parts,
                                          std::chrono::system_clock::time_point now) const;

  MailgunSettings settings_;
  // Mutable state behind a const interface: its own mutex makes it safe to share.
  std::unique_ptr<TokenReplayCache> replay_cache_;
};

// Adds the Mailgun connector when settings.isEnabled(); kConfig when the settings are invalid
// or a route is taken.
Status registerMailgunConnector(ConnectorRegistry& registry, const MailgunSettings& settings);

}  // namespace switchboard::connectors::email
