// SendGrid Inbound Parse: SendGrid receives the mail for a parse domain (MX mx.sendgrid.net)
// and POSTs it as multipart/form-data to POST /v1/email/sendgrid, in one of two modes set per
// host in SendGrid's settings:
//
//   raw ("Send Raw" ticked, preferred): `email` = the whole RFC 5322 message, plus `envelope`
//       ({"to":["support@parse.example.com"],"from":"bounce@mailer.example.org"}), `from`,
//       `to`, `subject`, `charsets`, `dkim`, `SPF`, `spam_score`, `spam_report`, `sender_ip`.
//       The message goes through normalizeRawEmail() whole.
//   parsed (default): `headers` (the raw header block), `from`, `to`, `cc`, `subject`, `text`,
//       `html` (each in the charset `charsets` names: {"subject":"ISO-2022-JP","text":
//       "iso-8859-1",...}, converted with toUtf8()), `envelope`, `attachments` (a count),
//       `attachment-info` ({"attachment1":{"filename":"a.pdf","type":"application/pdf"}}) and
//       the file parts `attachment1` … `attachmentN` (fewer file parts than the count: the
//       message is still taken, attributes["attachments_missing"] says how many are lacking).
//       Threading headers (Message-ID, In-Reply-To, References, Date, Reply-To) come from
//       `headers`; the message is built as raw mode would build it (parsed_email.h). Parsed
//       mode can lose what raw mode keeps (non-text parts' structure, header details): prefer
//       raw.
//
// Authentication: SendGrid signs nothing by default, so the parse URL carries HTTP Basic
// credentials (https://user:password@host/v1/email/sendgrid), which SendGrid sends as
// `Authorization: Basic …`. Both user and password must match SWITCHBOARD_SENDGRID_BASIC_AUTH
// ("user:password"), compared as digests in constant time, before the body is read.
//
// Answers: 202 once the message is durable (any 2xx stops SendGrid's retries); the host's 503
// when Kafka cannot take it (SendGrid retries 5xx for up to 3 days); 4xx for what retrying
// cannot fix (dead-lettered with the payload).
// Stateless and immutable after construction; normalize() runs on any thread.
#pragma once

#include <string>

#include "connectors/connector.h"
#include "connectors/connector_registry.h"
#include "connectors/email/email_normalizer.h"
#include "connectors/email/multipart_form.h"

namespace switchboard::connectors::email {

struct SendGridSettings {
  // "user:password" of the parse URL. Empty: the connector is not registered (404). A secret:
  // from the environment (SWITCHBOARD_SENDGRID_BASIC_AUTH), never logged.
  std::string basic_auth;
  EmailLimits limits;
  // SendGrid's own limit is 30 MB for the whole mail; the HTTP server's --max-body-bytes (1 MiB
  // by default) must be raised for attachments to get through.
  FormLimits form = {.max_body_bytes = 32 << 20,
                     .max_parts = 256,
                     .max_field_bytes = 4 << 20,
                     .large_fields = {"email"}};

  bool isEnabled() const { return !basic_auth.empty(); }
};

// kConfig unless basic_auth is "user:password" with a non-empty password and no control
// characters.
Status validateSendGridSettings(const SendGridSettings& settings);

class SendGridConnector final : public Connector {
 public:
  static constexpr std::string_view kName = "sendgrid";
  static constexpr std::string_view kPath = "/v1/email/sendgrid";
  static constexpr std::string_view kProvider = "sendgrid";
  static constexpr std::string_view kProducer = "connector/sendgrid";

  // `settings` must pass validateSendGridSettings().
  explicit SendGridConnector(SendGridSettings settings);

  std::string_view name() const override { return kName; }
  v1::Channel channel() const override { return v1::CHANNEL_EMAIL; }
  std::vector<Route> routes() const override;
  ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const override;

 private:
  // nullopt when the credentials match, else the rejection (401 missing, 403 wrong).
  std::optional<Rejection> checkCredentials(std::optional<std::string_view> authorization) const;

  std::string credentials_digest_;  // sha256Hex("user:password")
  EmailLimits limits_;
  FormLimits form_limits_;
};

// Adds the SendGrid connector when settings.isEnabled(); kConfig when the settings are invalid
// or the route is taken.
Status registerSendGridConnector(ConnectorRegistry& registry, const SendGridSettings& settings);

}  // namespace switchboard::connectors::email
