// What the SMTP/LMTP server hands to its user for each completed DATA, and what it wants back.
// The server knows nothing about where messages go: a MessageSink takes each message and later
// calls its DeliveryCallback, from any thread, with the outcome that becomes the final reply
// (one reply in SMTP, one per accepted recipient in LMTP).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::smtp {

enum class Protocol { kSmtp, kLmtp };

// "smtp" or "lmtp".
std::string_view protocolName(Protocol protocol);

struct ReceivedMessage {
  Protocol protocol = Protocol::kSmtp;
  std::string helo;                  // the EHLO/HELO/LHLO argument
  std::string mail_from;             // reverse-path without brackets; empty for "<>" (bounces)
  std::vector<std::string> rcpt_to;  // accepted forward-paths without brackets, in order
  std::string remote_address;        // the client's IP address
  std::string data;                  // the message as received, after dot-unstuffing
};

// The final reply for one message: a reply code, an RFC 3463 enhanced status code and a
// human-readable text (control characters are replaced when the reply is written).
struct DeliveryOutcome {
  enum class Kind { kAccepted, kRetryLater, kRejected };
  Kind kind = Kind::kRetryLater;
  int code = 451;
  std::string enhanced = "4.3.0";
  std::string text;

  // 250 2.0.0: the message is durable.
  static DeliveryOutcome accepted(std::string text);
  // 451 4.3.0 (or another 4yz): the sending MTA keeps the message and retries.
  static DeliveryOutcome retryLater(std::string text, int code = 451,
                                    std::string enhanced = "4.3.0");
  // A permanent 5yz failure (552 too big, 554 malformed ...): the sending MTA bounces. A code
  // outside 500..599 becomes 554.
  static DeliveryOutcome rejected(int code, std::string enhanced, std::string text);
};

using DeliveryCallback = std::function<void(DeliveryOutcome)>;

// Called on a connection's I/O thread; must not block. Call `done` exactly once, from any
// thread, possibly after returning. If every copy of `done` is dropped unanswered, the client
// gets 451 (temporary), so a bug never loses a message silently.
using MessageSink = std::function<void(ReceivedMessage&& message, DeliveryCallback done)>;

}  // namespace switchboard::smtp
