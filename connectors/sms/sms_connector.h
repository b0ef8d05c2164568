// SMS/MMS (and WhatsApp through Twilio) connector: Twilio's messaging webhook posts one inbound
// message as application/x-www-form-urlencoded to POST /v1/sms/twilio, signed with
// X-Twilio-Signature (see twilio_signature.h).
//
//   MessageSid=SM…&AccountSid=AC…&From=%2B14155550100&To=%2B15558675310&Body=Hi&NumMedia=1
//   &MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F…&MediaContentType0=image%2Fjpeg&FromCountry=US…
//
// The signature is checked before any field is read. Twilio signs the URL it was configured
// with, which behind a TLS-terminating proxy is not what this server sees, so the public URL is
// configuration. MessageSid is the idempotency key: Twilio's retries of one message map to one
// event id. The answer is an empty TwiML document, so Twilio sends no reply of its own.
// Stateless and immutable after construction; normalize() runs on any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "connectors/connector.h"
#include "connectors/connector_registry.h"

namespace switchboard::connectors::sms {

struct SmsSettings {
  // The Twilio account's auth token, the HMAC key. A secret: read from the environment or a
  // secrets file, never hard-coded, never logged.
  std::string auth_token;
  // The webhook URL exactly as configured in Twilio's console, without query:
  // "https://example.com/v1/sms/twilio". The request's query string, if any, is appended.
  std::string public_url;
  // nullopt: enabled exactly when an auth token is configured. true without an auth token is a
  // configuration error (registration fails rather than accept unsigned messages).
  std::optional<bool> enabled;
  // Bodies above this are refused (413) before parsing. Twilio's largest (1,600 characters of
  // text, all percent-encoded, plus ten media) stay well below.
  size_t max_body_bytes = 64 << 10;

  bool isEnabled() const { return enabled.value_or(!auth_token.empty()); }
};

// Why `settings` cannot run (kConfig), checked by registerSmsConnector: an enabled connector
// needs an auth token and an absolute http(s) public URL without query or fragment.
Status validateSmsSettings(const SmsSettings& settings);

class SmsConnector final : public Connector {
 public:
  static constexpr std::string_view kName = "sms";
  static constexpr std::string_view kPath = "/v1/sms/twilio";
  static constexpr std::string_view kProvider = "twilio";
  static constexpr std::string_view kProducer = "connector/sms";
  static constexpr std::string_view kSignatureHeader = "X-Twilio-Signature";
  static constexpr std::string_view kWhatsAppPrefix = "whatsapp:";
  static constexpr size_t kMaxMedia = 10;  // Twilio's own limit per message
  // The accepted answer: empty TwiML.
  static constexpr std::string_view kEmptyTwiml =
      R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)";

  // `settings` must pass validateSmsSettings().
  explicit SmsConnector(SmsSettings settings);

  std::string_view name() const override { return kName; }
  v1::Channel channel() const override { return v1::CHANNEL_SMS; }
  std::vector<Route> routes() const override;
  ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const override;

 private:
  SmsSettings settings_;
  // public_url with the default port toggled, also accepted (see twilio_signature.h).
  std::optional<std::string> alternate_public_url_;
};

// Adds the SMS connector when settings.isEnabled(); fails (kConfig) when enabled settings are
// invalid or the name or route is taken.
Status registerSmsConnector(ConnectorRegistry& registry, const SmsSettings& settings);

}  // namespace switchboard::connectors::sms
