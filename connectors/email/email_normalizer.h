// Email normalization shared by every email front end (SMTP/LMTP, raw message/rfc822 over
// HTTP, the SendGrid and Mailgun inbound-parse webhooks). MIME is parsed with GMime, never by
// hand. Each function is pure and thread-safe (GMime is initialised once per process, on first
// use); none does I/O.
//
// Contract for front ends: the raw message is the RFC 5322 message exactly as received (after
// SMTP dot-unstuffing), the envelope is what the transport said (MAIL FROM / RCPT TO, or the
// provider's envelope field). The idempotency key is "email:<Message-ID>" when the message has
// one, else "email:sha256:<hex of the raw bytes>", so that a provider's retry of the same mail
// (SendGrid retries for 3 days, Mailgun for 8 hours, an MTA until it gets 250) is one event.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::connectors::email {

// What the transport (not the message headers) said about sender and recipients.
struct EmailEnvelope {
  std::string mail_from;             // reverse-path, may be empty (bounces)
  std::vector<std::string> rcpt_to;  // forward-paths, in order
  std::string provider;  // InboundMessage.provider: "smtp", "lmtp", "http", "sendgrid", "mailgun"
};

struct EmailLimits {
  size_t max_message_bytes = 25 << 20;  // larger: 413 "body_too_large"
  size_t max_text_chars = 64 << 10;     // new text and quoted history are cut (flagged) past this
  size_t max_attachments = 50;          // attachments past this are counted, not described
  // Attachments are hashed (sha256) while their decoded size stays under this; larger ones
  // are described without a hash.
  size_t max_hashed_attachment_bytes = 10 << 20;
  // The original HTML body is cut (at a character boundary, flagged) past this many bytes.
  size_t max_html_bytes = 256 << 10;
};

// Parses and normalizes one raw RFC 5322 message. Fails with 400 "malformed_mime" when GMime
// cannot find a message with a From address, 413 "body_too_large" past the size limit.
//
// What the result holds: channel CHANNEL_EMAIL; provider = envelope.provider; sender = the
// From mailbox; recipient = the first RCPT TO, else the first To (also both addresses'
// account_id); thread = Message-ID, In-Reply-To, References (no angle brackets) and the
// decoded Subject; sent_at = Date; text = the new text (text/plain preferred, else the HTML
// reduced to text) and quoted_history = what splitQuotedHistory() found below it; html = the
// original HTML body; attachments described (name, content type, decoded size, sha256).
// attributes, each only when it applies: "reply_to" (Reply-To address differing from From),
// "envelope_from" (MAIL FROM differing from From), "auto_submitted" and "precedence" (RFC 3834
// auto-replies, lists), "attachments_omitted" (count past the cap), "text_truncated",
// "quoted_history_truncated", "html_truncated" ("true").
// The envelope is complete (event id derived from the idempotency key, random trace id,
// received_at = created_at = now) with producer "connector/email": a front end that has a
// traceparent or a name of its own overwrites those two.
ConnectorResult<v1::InboundMessage> normalizeRawEmail(std::string_view raw_message,
                                                      const EmailEnvelope& envelope,
                                                      const EmailLimits& limits,
                                                      std::chrono::system_clock::time_point now);

// Building blocks, also used by the inbound-parse connectors for their pre-parsed fields.

// A mailbox from an address header value: `"Ana Lima" <Ana@Example.COM>` →
// {"ana@example.com", "Ana Lima"} (RFC 2047 display names decoded). Empty address on failure.
struct Mailbox {
  std::string address;  // lower-cased addr-spec
  std::string display_name;
};
Mailbox parseMailbox(std::string_view header_value);
std::vector<Mailbox> parseMailboxList(std::string_view header_value);

// Decodes RFC 2047 encoded-words in an unstructured header (Subject) to UTF-8.
std::string decodeHeaderText(std::string_view header_value);

// Converts `bytes` in `charset` (any name iconv/GMime knows: "ISO-8859-1", "windows-1252",
// "EUC-KR", "ISO-2022-JP", "Shift_JIS", ...) to UTF-8. Invalid sequences become U+FFFD.
std::string toUtf8(std::string_view bytes, std::string_view charset);

// Reduces HTML to readable plain text (block elements become line breaks, entities decoded,
// script/style dropped).
std::string htmlToText(std::string_view html);

// Splits a reply's plain text into what the customer wrote now and the quoted history below it
// ("On ... wrote:", "-----Original Message-----", trailing "> " blocks ...).
struct SplitReply {
  std::string new_text;
  std::string quoted_history;
};
SplitReply splitQuotedHistory(std::string_view text);

}  // namespace switchboard::connectors::email
