// The SMTP/LMTP protocol of one connection as a pure state machine: bytes in, reply text out,
// and a ReceivedMessage whenever a DATA section is complete. No sockets, clocks or threads, so
// the whole dialogue (sequencing, limits, pipelining, dot-unstuffing) is unit-tested and fuzzed
// without I/O; SmtpServer only moves bytes and timers around it.
//
// Use: construct (the greeting is queued), then loop: advance() and write takeOutput(); on
// Next::kRead receive() more bytes; on Next::kDeliver takeMessage(), hand it on and, once its
// fate is known, finishDelivery(); on Next::kClose write the output and close. Input that
// arrives pipelined behind a command stays buffered and is processed by the next advance().
// Not thread-safe: one connection, one strand.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/smtp/smtp_message.h"

namespace switchboard::smtp {

// Told what happens in every conversation, for metrics (SmtpProbe). Called on the
// connection's strand; implementations must be thread-safe across connections.
class ConversationObserver {
 public:
  virtual ~ConversationObserver() = default;
  // An error reply to a command (500, 501, 502, 503, 552, 555).
  virtual void commandFailed() = 0;
  // A DATA section ended: "accepted", "retry_later", "rejected" (the sink's outcome), or
  // "too_big", "line_too_long" (refused before reaching the sink).
  virtual void messageFinished(std::string_view outcome) = 0;
};

struct ConversationOptions {
  Protocol protocol = Protocol::kSmtp;
  std::string hostname = "switchboard";  // in the greeting and the EHLO reply
  // Largest message after dot-unstuffing; advertised as "SIZE n". Larger: 552 5.3.4.
  size_t max_message_bytes = 25 << 20;
  size_t max_recipients = 100;  // more: 452 4.5.3 (RFC 5321 requires at least 100)
  // A command line (without CRLF) longer than this: 500 5.5.2. RFC 5321 allows 512 octets
  // plus what ESMTP parameters add.
  size_t max_command_line_bytes = 2048;
  // A DATA line longer than this: the message is refused with 554 5.6.0 once it ends (RFC 5321
  // says 1000 octets, but real mail often has longer lines). 0: no limit.
  size_t max_data_line_bytes = 64 << 10;
  // After this many error replies to commands the connection is closed with 421 4.7.0.
  int max_errors = 20;
  ConversationObserver* observer = nullptr;  // optional; must outlive the conversation
};

class Conversation {
 public:
  Conversation(ConversationOptions options, std::string remote_address);

  enum class Next {
    kRead,     // process more input: receive() then advance() again
    kDeliver,  // a message is complete: takeMessage(), later finishDelivery()
    kClose,    // write the output, then close the connection
  };

  // Appends bytes from the client. Call only after advance() returned kRead.
  void receive(std::string_view bytes);
  // Processes buffered input until more is needed, a message is complete or the dialogue ended.
  Next advance();
  // The replies queued so far (CRLF-terminated), emptying the queue.
  std::string takeOutput();

  // After kDeliver: the completed message (moved out).
  ReceivedMessage takeMessage();
  // Queues the final reply (one per accepted recipient in LMTP) and ends the transaction.
  void finishDelivery(const DeliveryOutcome& outcome);

  // Queues a 421 reply ("421 4.4.2 <host> <text>") and ends the dialogue: idle timeout, server
  // shutdown, too many connections.
  void abort(std::string_view enhanced, std::string_view text);

  // True while message text is being received (between 354 and the final dot).
  bool inData() const { return state_ == State::kData; }

 private:
  enum class State { kCommand, kData, kDelivering, kClosed };

  void handleLine(std::string_view line);
  void handleHello(std::string_view verb_name, std::string_view argument, bool extended);
  void handleMail(std::string_view argument);
  void handleRcpt(std::string_view argument);
  void handleData(std::string_view argument);
  void resetTransaction();
  // Consumes DATA input; returns true once the terminating dot has been seen.
  bool consumeData();
  // Queues the reply to a completed message that is not delivered (too big, long line) or
  // the outcome of a delivery: once in SMTP, once per recipient in LMTP.
  void replyPerRecipient(int code, std::string_view enhanced, std::string_view text);

  // Queues one reply line. The enhanced code is only sent after EHLO/LHLO (RFC 2034).
  void reply(int code, std::string_view enhanced, std::string_view text);
  void observe(std::string_view message_outcome);
  // A reply to a command that failed: counts towards max_errors.
  void fail(int code, std::string_view enhanced, std::string_view text);

  const ConversationOptions options_;
  const std::string remote_address_;
  State state_ = State::kCommand;
  std::string output_;
  std::string input_;
  size_t input_pos_ = 0;          // input_ before this has been processed
  bool discarding_line_ = false;  // skipping the rest of an over-long command line
  int errors_ = 0;

  // Session.
  std::string helo_;
  bool greeted_ = false;
  bool extended_ = false;  // EHLO/LHLO (not HELO): ESMTP parameters and enhanced codes

  // Transaction.
  bool has_mail_ = false;
  std::string mail_from_;
  std::vector<std::string> rcpt_to_;

  // DATA section.
  std::string data_;
  bool at_line_start_ = true;
  size_t line_bytes_ = 0;
  size_t data_bytes_ = 0;  // after unstuffing, also counting what was dropped for size
  bool too_big_ = false;
  bool line_too_long_ = false;
  ReceivedMessage message_;
};

}  // namespace switchboard::smtp
