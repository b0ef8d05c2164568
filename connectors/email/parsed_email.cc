#include "connectors/email/parsed_email.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

#include "connectors/common/rejection_reasons.h"
#include "connectors/email/gmime_mailboxes.h"
#include "connectors/email/gmime_runtime.h"
#include "connectors/email/header_fields.h"
#include "connectors/email/utf8_text.h"
#include "core/crypto/digest.h"
#include "core/ids.h"

namespace switchboard::connectors::email {
namespace {

constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxContentTypeBytes = 127;

void setFlag(v1::InboundMessage& out, std::string_view key) {
  (*out.mutable_attributes())[std::string(key)] = "true";
}

std::string envelopeAddress(std::string_view value) {
  std::string_view trimmed = trimSpace(value);
  if (trimmed.empty() || trimmed == "<>") return {};
  return parseMailbox(trimmed).address;
}

// The header block as a GMime message without a body; null when there is none.
GObjectPtr<GMimeMessage> parseHeaderBlock(std::string_view block) {
  if (trimSpace(block).empty()) return nullptr;
  GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new());
  g_mime_stream_write(stream.get(), block.data(), block.size());
  // The blank line that ends a header block (a second one is harmless: it starts the body).
  g_mime_stream_write_string(stream.get(), "\r\n\r\n");
  g_mime_stream_reset(stream.get());
  GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  return GObjectPtr<GMimeMessage>(
      g_mime_parser_construct_message(parser.get(), gmimeParserOptions()));
}

void setThreading(GMimeMessage* headers, const Mailbox& from, v1::InboundMessage& out) {
  GMimeObject* object = GMIME_OBJECT(headers);
  v1::ThreadHints* thread = out.mutable_thread();
  const std::string id = messageId(g_mime_message_get_message_id(headers));
  thread->set_message_id(id);
  out.set_provider_message_id(id);
  std::vector<std::string> in_reply_to = references(object, "In-Reply-To");
  if (!in_reply_to.empty()) thread->set_in_reply_to(in_reply_to.back());
  for (std::string& ref : references(object, "References")) thread->add_references(std::move(ref));
  setSentAt(headers, out);
  std::vector<Mailbox> reply_to = mailboxesOf(g_mime_message_get_reply_to(headers), 1);
  if (!reply_to.empty() && reply_to.front().address != from.address) {
    (*out.mutable_attributes())["reply_to"] = reply_to.front().address;
  }
  const char* auto_submitted = g_mime_object_get_header(object, "Auto-Submitted");
  if (auto_submitted != nullptr && g_ascii_strncasecmp(auto_submitted, "no", 2) != 0) {
    setAttribute(out, "auto_submitted", auto_submitted);
  }
  setAttribute(out, "precedence", g_mime_object_get_header(object, "Precedence"));
}

void setBody(const ParsedEmail& email, const EmailLimits& limits, v1::InboundMessage& out) {
  std::string text = normalizedText(email.text);
  std::string html = sanitizeUtf8(email.html);
  if (trimSpace(text).empty() && !html.empty()) text = htmlToText(html);
  SplitReply split = splitQuotedHistory(text);
  if (email.stripped_text) split.new_text = normalizedText(*email.stripped_text);
  if (truncateCodePoints(split.new_text, limits.max_text_chars)) setFlag(out, "text_truncated");
  if (truncateCodePoints(split.quoted_history, limits.max_text_chars)) {
    setFlag(out, "quoted_history_truncated");
  }
  out.set_text(std::move(split.new_text));
  out.set_quoted_history(std::move(split.quoted_history));
  if (truncateBytes(html, limits.max_html_bytes)) setFlag(out, "html_truncated");
  out.set_html(std::move(html));
}

}  // namespace

std::string normalizedText(std::string_view text) {
  std::string clean = sanitizeUtf8(text);
  std::string out;
  out.reserve(clean.size());
  for (size_t i = 0; i < clean.size(); ++i) {
    if (clean[i] == '\r') {
      out += '\n';
      if (i + 1 < clean.size() && clean[i + 1] == '\n') ++i;
    } else {
      out += clean[i];
    }
  }
  return out;
}

ConnectorResult<v1::InboundMessage> buildParsedEmail(const ParsedEmail& email,
                                                     const EmailLimits& limits,
                                                     std::chrono::system_clock::time_point now) {
  Mailbox from = parseMailbox(email.from);
  if (from.address.empty()) from.address = envelopeAddress(email.envelope_from);
  if (from.address.empty()) {
    return Rejection(Errc::kMissingField, reasons::kMissingField,
                     "from (or the envelope sender) must hold an email address");
  }

  v1::InboundMessage out;
  out.set_channel(v1::CHANNEL_EMAIL);
  out.set_provider(std::string(email.provider));

  // Recipient: where the transport delivered it, else where the author addressed it.
  Mailbox recipient;
  for (const std::string& rcpt : email.envelope_to) {
    recipient.address = envelopeAddress(rcpt);
    if (!recipient.address.empty()) break;
  }
  std::vector<Mailbox> to = parseMailboxList(email.to);
  if (recipient.address.empty() && !to.empty()) recipient = to.front();
  for (const Mailbox& mailbox : to) {
    if (mailbox.address == recipient.address) recipient.display_name = mailbox.display_name;
  }
  v1::Address* sender = out.mutable_sender();
  sender->set_channel(v1::CHANNEL_EMAIL);
  sender->set_value(from.address);
  sender->set_display_name(from.display_name);
  sender->set_account_id(recipient.address);
  if (!recipient.address.empty()) {
    v1::Address* to_address = out.mutable_recipient();
    to_address->set_channel(v1::CHANNEL_EMAIL);
    to_address->set_value(recipient.address);
    to_address->set_display_name(recipient.display_name);
    to_address->set_account_id(recipient.address);
  }
  const std::string mail_from = envelopeAddress(email.envelope_from);
  if (!mail_from.empty() && mail_from != from.address) {
    (*out.mutable_attributes())["envelope_from"] = mail_from;
  }

  if (GObjectPtr<GMimeMessage> headers = parseHeaderBlock(email.header_block)) {
    setThreading(headers.get(), from, out);
  }
  out.mutable_thread()->set_subject(oneLine(email.subject, kMaxHeaderBytes));
  setBody(email, limits, out);
  for (const v1::Attachment& attachment : email.attachments) *out.add_attachments() = attachment;
  if (email.attachments_omitted > 0) {
    (*out.mutable_attributes())["attachments_omitted"] = std::to_string(email.attachments_omitted);
  }

  v1::Envelope* envelope = out.mutable_envelope();
  const std::string& id = out.thread().message_id();
  std::string key = id.empty() ? "email:sha256:" + email.content_digest : "email:" + id;
  envelope->set_event_id(crypto::derivedId("in-", key, 32));
  envelope->set_idempotency_key(std::move(key));
  envelope->set_trace_id(traceIdOrRandom(email.traceparent));
  setTimestamp(now, envelope->mutable_received_at());
  setTimestamp(now, envelope->mutable_created_at());
  envelope->set_producer(std::string(email.producer));
  return out;
}

v1::Attachment describeUpload(const FormPart& part, std::string_view name, std::string_view type,
                              const EmailLimits& limits) {
  v1::Attachment attachment;
  std::string_view file = name;
  const size_t slash = file.find_last_of("/\\");
  if (slash != std::string_view::npos) file.remove_prefix(slash + 1);
  std::string clean = oneLine(file, kMaxNameBytes);
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') c = ' ';
  }
  attachment.set_name(std::move(clean));
  std::string media(trimSpace(type.empty() ? std::string_view(part.content_type) : type));
  if (media.empty()) media = "application/octet-stream";
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  attachment.set_content_type(oneLine(media, kMaxContentTypeBytes));
  attachment.set_size_bytes(part.data.size());
  if (part.data.size() <= limits.max_hashed_attachment_bytes) {
    attachment.set_sha256(crypto::sha256Hex(part.data));
  }
  return attachment;
}

std::string contentDigest(const std::vector<FormPart>& parts,
                          const std::vector<std::string_view>& excluded) {
  std::vector<const FormPart*> kept;
  for (const FormPart& part : parts) {
    if (std::find(excluded.begin(), excluded.end(), part.name) == excluded.end()) {
      kept.push_back(&part);
    }
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const FormPart* a, const FormPart* b) { return a->name < b->name; });
  std::string canonical;
  for (const FormPart* part : kept) {
    // Files by their hash, so the canonical form stays small.
    const std::string data = part->isFile() ? crypto::sha256Hex(part->data) : part->data;
    canonical += std::to_string(part->name.size()) + ':' + part->name;
    canonical += std::to_string(data.size()) + ':' + data;
  }
  return crypto::sha256Hex(canonical);
}

}  // namespace switchboard::connectors::email
