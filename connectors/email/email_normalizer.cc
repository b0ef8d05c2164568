// normalizeRawEmail(): one raw RFC 5322 message to one InboundMessage. GMime parses; this file
// picks the fields, bounds them and fills the envelope.
#include "connectors/email/email_normalizer.h"

#include <cctype>
#include <optional>
#include <string>

#include "connectors/common/rejection_reasons.h"
#include "connectors/email/gmime_mailboxes.h"
#include "connectors/email/gmime_runtime.h"
#include "connectors/email/header_fields.h"
#include "connectors/email/mime_content.h"
#include "connectors/email/utf8_text.h"
#include "core/crypto/digest.h"
#include "core/ids.h"

namespace switchboard::connectors::email {
namespace {

constexpr std::string_view kMalformedMime = "malformed_mime";
constexpr std::string_view kProducer = "connector/email";

Rejection malformed(std::string detail) {
  return Rejection(Errc::kMalformedInput, kMalformedMime, std::move(detail));
}

// An envelope address (MAIL FROM or RCPT TO, with or without angle brackets), canonical.
std::string envelopeAddress(std::string_view value) {
  std::string_view trimmed = trimSpace(value);
  if (trimmed.empty() || trimmed == "<>") return {};
  return parseMailbox(trimmed).address;
}

void setFlag(v1::InboundMessage& out, std::string_view key) {
  (*out.mutable_attributes())[std::string(key)] = "true";
}

}  // namespace

ConnectorResult<v1::InboundMessage> normalizeRawEmail(std::string_view raw_message,
                                                      const EmailEnvelope& envelope,
                                                      const EmailLimits& limits,
                                                      std::chrono::system_clock::time_point now) {
  if (raw_message.size() > limits.max_message_bytes) {
    return Rejection(
        Errc::kTooLarge, reasons::kBodyTooLarge,
        "the message is larger than " + std::to_string(limits.max_message_bytes) + " bytes");
  }
  if (trimSpace(raw_message).empty()) return malformed("the message is empty");

  // GMime reads the message where it is (no copy); the parts are windows on raw_message,
  // decoded in place by collectMimeContent().
  const BorrowedMessage parsed(raw_message);
  GMimeMessage* message = parsed.message();
  if (message == nullptr) return malformed("no RFC 5322 header block was found");
  GMimeObject* object = GMIME_OBJECT(message);

  std::vector<Mailbox> from = mailboxesOf(g_mime_message_get_from(message), 1);
  if (from.empty()) {
    return malformed(g_mime_object_get_header(object, "From") == nullptr
                         ? "the message has no From header"
                         : "the From header holds no usable address");
  }

  v1::InboundMessage out;
  out.set_channel(v1::CHANNEL_EMAIL);
  out.set_provider(envelope.provider);

  // Recipient: where the transport delivered it, else where the author addressed it.
  Mailbox recipient;
  for (const std::string& rcpt : envelope.rcpt_to) {
    recipient.address = envelopeAddress(rcpt);
    if (!recipient.address.empty()) break;
  }
  std::vector<Mailbox> to = mailboxesOf(g_mime_message_get_to(message), 100);
  if (recipient.address.empty() && !to.empty()) recipient = to.front();
  for (const Mailbox& mailbox : to) {
    if (mailbox.address == recipient.address) recipient.display_name = mailbox.display_name;
  }

  v1::Address* sender = out.mutable_sender();
  sender->set_channel(v1::CHANNEL_EMAIL);
  sender->set_value(from.front().address);
  sender->set_display_name(from.front().display_name);
  sender->set_account_id(recipient.address);
  if (!recipient.address.empty()) {
    v1::Address* to_address = out.mutable_recipient();
    to_address->set_channel(v1::CHANNEL_EMAIL);
    to_address->set_value(recipient.address);
    to_address->set_display_name(recipient.display_name);
    to_address->set_account_id(recipient.address);
  }

  std::vector<Mailbox> reply_to = mailboxesOf(g_mime_message_get_reply_to(message), 1);
  if (!reply_to.empty() && reply_to.front().address != from.front().address) {
    (*out.mutable_attributes())["reply_to"] = reply_to.front().address;
  }
  const std::string mail_from = envelopeAddress(envelope.mail_from);
  if (!mail_from.empty() && mail_from != from.front().address) {
    (*out.mutable_attributes())["envelope_from"] = mail_from;
  }
  const char* auto_submitted = g_mime_object_get_header(object, "Auto-Submitted");
  if (auto_submitted != nullptr && g_ascii_strncasecmp(auto_submitted, "no", 2) != 0) {
    setAttribute(out, "auto_submitted", auto_submitted);
  }
  setAttribute(out, "precedence", g_mime_object_get_header(object, "Precedence"));

  // Threading.
  v1::ThreadHints* thread = out.mutable_thread();
  const std::string message_id = messageId(g_mime_message_get_message_id(message));
  thread->set_message_id(message_id);
  std::vector<std::string> in_reply_to = references(object, "In-Reply-To");
  if (!in_reply_to.empty()) thread->set_in_reply_to(in_reply_to.back());
  for (std::string& id : references(object, "References")) thread->add_references(std::move(id));
  thread->set_subject(oneLine(g_mime_message_get_subject(message), kMaxHeaderBytes));
  out.set_provider_message_id(message_id);
  setSentAt(message, out);

  // Body.
  MimeContent content = collectMimeContent(g_mime_message_get_mime_part(message), limits);
  // Some clients send an empty text/plain alternative next to the real HTML.
  const bool use_plain = content.has_plain && !trimSpace(content.plain).empty();
  std::string text = use_plain ? std::move(content.plain) : htmlToText(content.html);
  SplitReply split = splitQuotedHistory(text);
  if (truncateCodePoints(split.new_text, limits.max_text_chars)) setFlag(out, "text_truncated");
  if (truncateCodePoints(split.quoted_history, limits.max_text_chars)) {
    setFlag(out, "quoted_history_truncated");
  }
  out.set_text(std::move(split.new_text));
  out.set_quoted_history(std::move(split.quoted_history));
  if (truncateBytes(content.html, limits.max_html_bytes)) setFlag(out, "html_truncated");
  out.set_html(std::move(content.html));
  for (v1::Attachment& attachment : content.attachments) {
    *out.add_attachments() = std::move(attachment);
  }
  if (content.attachments_omitted > 0) {
    (*out.mutable_attributes())["attachments_omitted"] =
        std::to_string(content.attachments_omitted);
  }

  // Envelope. A provider's retry of the same mail carries the same Message-ID (or, without
  // one, the same bytes), so it gets the same event id and the router drops the repeat.
  v1::Envelope* env = out.mutable_envelope();
  std::string idempotency_key =
      message_id.empty() ? "email:sha256:" + crypto::sha256Hex(raw_message) : "email:" + message_id;
  env->set_event_id(crypto::derivedId("in-", idempotency_key, 32));
  env->set_idempotency_key(std::move(idempotency_key));
  env->set_trace_id(traceIdOrRandom(std::nullopt));
  setTimestamp(now, env->mutable_received_at());
  setTimestamp(now, env->mutable_created_at());
  env->set_producer(std::string(kProducer));
  return out;
}

}  // namespace switchboard::connectors::email
