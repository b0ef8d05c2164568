// What a message's MIME tree holds for a reader: the body text (text/plain preferred), the
// HTML body, and every other part described as an attachment. Internal to connectors/email/;
// the normalizer calls it once per message on the GMime tree it parsed. Thread-safe (the tree
// belongs to the caller's thread).
//
// How parts are read:
//   multipart/alternative   its text/plain becomes the text and its text/html the HTML; other
//                           alternatives (text/calendar, multipart/related ...) are walked
//   other multiparts        every child in order (mixed, related, signed ...); inline
//                           text/plain parts are joined, the first text/html is the HTML
//   message/rfc822          one attachment (a forwarded mail), not opened
//   any other leaf, and text parts with Content-Disposition: attachment, or a second HTML
//                           part, or a named text part once a body was found: attachments
// Content-Transfer-Encoding is undone in place on the parsed message's buffer (the parser
// keeps parts as windows on it): quoted-printable by a decoder giving exactly GMime's results,
// base64 by GMime's decoding step function, with no stream objects per part (uuencode still
// through GMime's data wrapper).
// Text is converted to UTF-8 with toUtf8() from the part's charset label.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <gmime/gmime.h>

#include "connectors/email/email_normalizer.h"
#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::connectors::email {

struct MimeContent {
  std::string plain;  // UTF-8, LF line ends
  std::string html;   // UTF-8
  bool has_plain = false;
  bool has_html = false;
  std::vector<v1::Attachment> attachments;  // at most limits.max_attachments
  size_t attachments_omitted = 0;           // past the cap: counted, not decoded
};

// Walks the MIME tree under `top` (may be null: a message without a body).
MimeContent collectMimeContent(GMimeObject* top, const EmailLimits& limits);

}  // namespace switchboard::connectors::email
