// The status line and header block of an HTTP/1.x answer, written into a string the caller
// reuses from one answer to the next: the server's write path then allocates nothing per
// header (Beast's response object allocates once per field). Pure function, any thread.
#pragma once

#include <string>

#include "core/http/http_types.h"

namespace switchboard::http {

// Replaces `out` with the head of `answer` for a request of HTTP `version` (10: HTTP/1.0, else
// HTTP/1.1; "HTTP/1.1 202 Accepted\r\n...\r\n\r\n"), keeping `out`'s capacity. `answer.status` must
// be 200..999 and the body of a 204 or 304 empty (the server checks both). Framing is the server's:
// handler headers named Content-Length, Transfer-Encoding or Connection are dropped, and so are
// names that are not tokens and values holding CR, LF or NUL (logged). Content-Type (from
// `answer.content_type`) and Server are added unless the handler set them, then
// Content-Length (not for 204 and 304), then Connection when `keep_alive` differs from the
// version's default: `close` on HTTP/1.1, `keep-alive` on HTTP/1.0.
void formatResponseHead(const Response& answer, unsigned version, bool keep_alive,
                        std::string& out);

}  // namespace switchboard::http
