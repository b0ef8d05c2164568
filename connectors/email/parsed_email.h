// The InboundMessage of an inbound-parse webhook in its parsed mode (SendGrid's default post,
// Mailgun's forward()), where the provider already took the mail apart into form fields. Built
// to match what normalizeRawEmail() makes of the same mail in raw mode: the same sender,
// recipient, thread hints, sent_at, text / quoted_history split, attributes and bounds, so that
// routing cannot tell the modes apart. Pure functions, safe from any thread.
//
// The threading headers come from the provider's copy of the header block (SendGrid `headers`,
// Mailgun `message-headers` written back as header lines), parsed by GMime. The idempotency key
// is "email:<Message-ID>" like raw mode's, else "email:sha256:<content digest>" over the posted
// content fields (not the per-attempt signature fields), so a provider's retry is one event.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "connectors/email/email_normalizer.h"
#include "connectors/email/multipart_form.h"
#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::connectors::email {

struct ParsedEmail {
  std::string_view provider;  // InboundMessage.provider: "sendgrid", "mailgun"
  std::string_view producer;  // envelope.producer: "connector/sendgrid"
  // Header values as the provider decoded them, in UTF-8: `"Ana Lima" <ana@example.com>`.
  std::string from;
  std::string to;
  std::string subject;
  // Bodies in UTF-8. stripped_text is the provider's own "new text" (Mailgun), used instead of
  // splitQuotedHistory()'s when given.
  std::string text;
  std::string html;
  std::optional<std::string> stripped_text;
  // The SMTP envelope (SendGrid `envelope`, Mailgun `sender`/`recipient`).
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  // Header lines ("Message-ID: <…>\r\nIn-Reply-To: …"): only the threading and auto-reply
  // headers are read from them (Message-ID, In-Reply-To, References, Date, Reply-To,
  // Auto-Submitted, Precedence).
  std::string header_block;
  std::vector<v1::Attachment> attachments;
  size_t attachments_omitted = 0;
  // Hex sha256 over the posted content fields (contentDigest()).
  std::string content_digest;
  // The request's traceparent header, if any.
  std::optional<std::string_view> traceparent;
};

// 400 "missing_field" when neither `from` nor the envelope sender holds a usable address.
ConnectorResult<v1::InboundMessage> buildParsedEmail(const ParsedEmail& email,
                                                     const EmailLimits& limits,
                                                     std::chrono::system_clock::time_point now);

// An uploaded file as attachment metadata: display name (last path component, valid UTF-8,
// bounded), content type (`type` when the provider described one, else the part's own, else
// application/octet-stream), decoded size and, up to limits.max_hashed_attachment_bytes,
// sha256 of the bytes.
v1::Attachment describeUpload(const FormPart& part, std::string_view name, std::string_view type,
                              const EmailLimits& limits);

// Hex sha256 over every part except those named in `excluded` (per-attempt fields such as
// signatures), in name order, each as length-prefixed name and bytes, so that the digest does
// not depend on the order the provider wrote the parts in.
std::string contentDigest(const std::vector<FormPart>& parts,
                          const std::vector<std::string_view>& excluded);

// Valid UTF-8 with CR LF and lone CR turned into LF: the one line-end convention of raw mode.
std::string normalizedText(std::string_view text);

}  // namespace switchboard::connectors::email
