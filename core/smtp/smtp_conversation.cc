#include "core/smtp/smtp_conversation.h"

#include <algorithm>
#include <utility>

#include "core/smtp/smtp_command.h"

namespace switchboard::smtp {
namespace {

// Reply texts are cut here: a sink's text (a connector's error message) may be long.
constexpr size_t kMaxReplyTextBytes = 400;
// A HELO argument longer than a domain name can be is cut when stored.
constexpr size_t kMaxHeloBytes = 255;

// Control characters would break the reply framing; bytes >= 0x80 are left to the client.
void appendSanitized(std::string& out, std::string_view text) {
  text = text.substr(0, kMaxReplyTextBytes);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
}

std::string upperCopy(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; });
  return out;
}

bool hasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

Conversation::Conversation(ConversationOptions options, std::string remote_address)
    : options_(std::move(options)), remote_address_(std::move(remote_address)) {
  reply(220, "",
        options_.hostname + (options_.protocol == Protocol::kLmtp ? " LMTP" : " ESMTP") +
            " Switchboard ready");
}

void Conversation::receive(std::string_view bytes) {
  if (input_pos_ > 0 && input_pos_ >= input_.size() / 2) {
    input_.erase(0, input_pos_);
    input_pos_ = 0;
  }
  input_.append(bytes);
}

std::string Conversation::takeOutput() {
  std::string out;
  out.swap(output_);
  return out;
}

Conversation::Next Conversation::advance() {
  while (true) {
    switch (state_) {
      case State::kClosed: return Next::kClose;
      case State::kDelivering: return Next::kDeliver;
      case State::kData:
        if (!consumeData()) {
          return Next::kRead;
        }
        if (too_big_) {
          observe("too_big");
          replyPerRecipient(
              552, "5.3.4",
              "message exceeds " + std::to_string(options_.max_message_bytes) + " bytes");
          resetTransaction();
          state_ = State::kCommand;
        } else if (line_too_long_) {
          observe("line_too_long");
          replyPerRecipient(554, "5.6.0",
                            "message has a line longer than " +
                                std::to_string(options_.max_data_line_bytes) + " bytes");
          resetTransaction();
          state_ = State::kCommand;
        } else {
          message_ = ReceivedMessage{.protocol = options_.protocol,
                                     .helo = helo_,
                                     .mail_from = mail_from_,
                                     .rcpt_to = rcpt_to_,
                                     .remote_address = remote_address_,
                                     .data = std::move(data_)};
          data_.clear();
          state_ = State::kDelivering;
        }
        break;
      case State::kCommand: {
        const size_t newline = input_.find('\n', input_pos_);
        if (newline == std::string::npos) {
          // +1: a line of exactly the limit may still be waiting for its CR.
          if (input_.size() - input_pos_ > options_.max_command_line_bytes + 1) {
            discarding_line_ = true;
            input_.clear();
            input_pos_ = 0;
          }
          return Next::kRead;
        }
        std::string_view line(input_.data() + input_pos_, newline - input_pos_);
        input_pos_ = newline + 1;
        if (!line.empty() && line.back() == '\r') {
          line.remove_suffix(1);
        }
        if (discarding_line_ || line.size() > options_.max_command_line_bytes) {
          discarding_line_ = false;
          fail(500, "5.5.2",
               "line too long (limit " + std::to_string(options_.max_command_line_bytes) +
                   " bytes)");
        } else {
          handleLine(line);
        }
        if (state_ != State::kClosed && errors_ >= options_.max_errors) {
          abort("4.7.0", "too many errors, closing connection");
        }
        break;
      }
    }
  }
}

bool Conversation::consumeData() {
  while (input_pos_ < input_.size()) {
    std::string_view rest(input_.data() + input_pos_, input_.size() - input_pos_);
    if (at_line_start_ && rest.front() == '.') {
      // ".\r\n" (or ".\n") ends the message; any other leading dot was doubled by the client.
      if (rest.size() < 2 || (rest[1] == '\r' && rest.size() < 3)) {
        return false;  // cannot tell yet
      }
      if (rest[1] == '\n' || (rest[1] == '\r' && rest[2] == '\n')) {
        input_pos_ += rest[1] == '\n' ? 2 : 3;
        return true;
      }
      ++input_pos_;
      rest.remove_prefix(1);
      at_line_start_ = false;
      line_bytes_ = 0;
      if (rest.empty()) {
        return false;
      }
    }
    const size_t newline = rest.find('\n');
    const size_t take = newline == std::string_view::npos ? rest.size() : newline + 1;
    const std::string_view chunk = rest.substr(0, take);
    line_bytes_ = (at_line_start_ ? 0 : line_bytes_) + chunk.size();
    at_line_start_ = newline != std::string_view::npos;
    if (options_.max_data_line_bytes > 0) {
      // The line terminator does not count.
      const size_t terminator = !at_line_start_                                          ? 0
                                : (chunk.size() >= 2 && chunk[chunk.size() - 2] == '\r') ? 2
                                                                                         : 1;
      if (line_bytes_ - std::min(line_bytes_, terminator) > options_.max_data_line_bytes) {
        line_too_long_ = true;
      }
    }
    data_bytes_ += chunk.size();
    if (data_bytes_ > options_.max_message_bytes) {
      too_big_ = true;
      data_.clear();
      data_.shrink_to_fit();
    } else if (!line_too_long_) {
      data_.append(chunk);
    }
    input_pos_ += take;
  }
  return false;
}

void Conversation::handleLine(std::string_view line) {
  const Command command = parseCommand(line);
  const bool lmtp = options_.protocol == Protocol::kLmtp;
  switch (command.verb) {
    case Verb::kEhlo:
    case Verb::kHelo:
      if (lmtp) {
        fail(500, "5.5.1", "this is an LMTP server: use LHLO");
      } else {
        handleHello(command.name, command.argument, command.verb == Verb::kEhlo);
      }
      return;
    case Verb::kLhlo:
      if (!lmtp) {
        fail(500, "5.5.1", "this is an SMTP server: use EHLO or HELO");
      } else {
        handleHello(command.name, command.argument, true);
      }
      return;
    case Verb::kMail: handleMail(command.argument); return;
    case Verb::kRcpt: handleRcpt(command.argument); return;
    case Verb::kData: handleData(command.argument); return;
    case Verb::kRset:
      if (!command.argument.empty()) {
        fail(501, "5.5.4", "RSET takes no argument");
        return;
      }
      resetTransaction();
      reply(250, "2.0.0", "Ok");
      return;
    case Verb::kNoop: reply(250, "2.0.0", "Ok"); return;
    case Verb::kQuit:
      reply(221, "2.0.0", options_.hostname + " closing connection");
      state_ = State::kClosed;
      return;
    case Verb::kVrfy: reply(252, "2.5.2", "cannot VRFY user, but will accept the message"); return;
    case Verb::kHelp:
      reply(214, "2.0.0",
            lmtp ? "Commands: LHLO MAIL RCPT DATA RSET NOOP QUIT"
                 : "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT");
      return;
    case Verb::kNotImplemented: {
      fail(502, "5.5.1", upperCopy(command.name) + " not implemented");
      return;
    }
    case Verb::kUnknown:
      fail(500, "5.5.2", line.empty() ? "empty command" : "command not recognized");
      return;
  }
}

void Conversation::handleHello(std::string_view verb_name, std::string_view argument,
                               bool extended) {
  if (argument.empty() || hasControl(argument)) {
    fail(501, "5.5.4", "Syntax: " + upperCopy(verb_name) + " hostname");
    return;
  }
  resetTransaction();
  helo_ = std::string(argument.substr(0, kMaxHeloBytes));
  greeted_ = true;
  extended_ = extended;
  if (!extended) {
    reply(250, "", options_.hostname);
    return;
  }
  // A multi-line reply: "250-" on every line but the last (RFC 5321 4.2.1).
  const std::string lines[] = {
      options_.hostname, "PIPELINING", "SIZE " + std::to_string(options_.max_message_bytes),
      "8BITMIME",        "SMTPUTF8",   "ENHANCEDSTATUSCODES",
  };
  constexpr size_t kCount = sizeof(lines) / sizeof(lines[0]);
  for (size_t i = 0; i < kCount; ++i) {
    output_ += "250";
    output_ += i + 1 < kCount ? '-' : ' ';
    appendSanitized(output_, lines[i]);
    output_ += "\r\n";
  }
}

void Conversation::handleMail(std::string_view argument) {
  if (!greeted_) {
    fail(503, "5.5.1",
         options_.protocol == Protocol::kLmtp ? "send LHLO first" : "send EHLO or HELO first");
    return;
  }
  if (has_mail_) {
    fail(503, "5.5.1", "nested MAIL command");
    return;
  }
  auto path = parsePathArgument(argument, "FROM:", /*allow_null_path=*/true);
  if (!path) {
    fail(501, "5.1.7", "bad sender address syntax: " + path.error().message());
    return;
  }
  for (const Parameter& parameter : path->parameters) {
    if (!extended_) {
      fail(555, "5.5.4", "MAIL parameters need EHLO");
      return;
    }
    if (parameter.keyword == "SIZE") {
      auto size = parseSizeValue(parameter.value);
      if (!size) {
        fail(501, "5.5.4", size.error().message());
        return;
      }
      if (*size > options_.max_message_bytes) {
        fail(552, "5.3.4",
             "message size exceeds the limit of " + std::to_string(options_.max_message_bytes) +
                 " bytes");
        return;
      }
    } else if (parameter.keyword == "BODY") {
      const std::string body = upperCopy(parameter.value);
      if (body != "7BIT" && body != "8BITMIME") {
        fail(501, "5.5.4", "BODY must be 7BIT or 8BITMIME");
        return;
      }
    } else if (parameter.keyword == "SMTPUTF8") {
      if (!parameter.value.empty()) {
        fail(501, "5.5.4", "SMTPUTF8 takes no value");
        return;
      }
    } else {
      fail(555, "5.5.4", "unsupported MAIL parameter " + parameter.keyword);
      return;
    }
  }
  has_mail_ = true;
  mail_from_ = std::string(path->address);
  reply(250, "2.1.0", "Ok");
}

void Conversation::handleRcpt(std::string_view argument) {
  if (!has_mail_) {
    fail(503, "5.5.1", "need MAIL command");
    return;
  }
  auto path = parsePathArgument(argument, "TO:", /*allow_null_path=*/false);
  if (!path) {
    fail(501, "5.1.3", "bad recipient address syntax: " + path.error().message());
    return;
  }
  if (!path->parameters.empty()) {
    fail(555, "5.5.4", "unsupported RCPT parameter " + path->parameters.front().keyword);
    return;
  }
  if (rcpt_to_.size() >= options_.max_recipients) {
    reply(452, "4.5.3", "too many recipients");
    return;
  }
  rcpt_to_.emplace_back(path->address);
  reply(250, "2.1.5", "Ok");
}

void Conversation::handleData(std::string_view argument) {
  if (!argument.empty()) {
    fail(501, "5.5.4", "DATA takes no argument");
    return;
  }
  if (!has_mail_) {
    fail(503, "5.5.1", "need MAIL command");
    return;
  }
  if (rcpt_to_.empty()) {
    fail(503, "5.5.1", "need RCPT command");
    return;
  }
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  state_ = State::kData;
  data_.clear();
  at_line_start_ = true;
  line_bytes_ = 0;
  data_bytes_ = 0;
  too_big_ = false;
  line_too_long_ = false;
}

ReceivedMessage Conversation::takeMessage() {
  return std::move(message_);
}

void Conversation::finishDelivery(const DeliveryOutcome& outcome) {
  if (state_ != State::kDelivering) {
    return;
  }
  observe(outcome.kind == DeliveryOutcome::Kind::kAccepted     ? "accepted"
          : outcome.kind == DeliveryOutcome::Kind::kRetryLater ? "retry_later"
                                                               : "rejected");
  replyPerRecipient(outcome.code, outcome.enhanced, outcome.text);
  resetTransaction();
  message_ = {};
  state_ = State::kCommand;
}

void Conversation::abort(std::string_view enhanced, std::string_view text) {
  if (state_ == State::kClosed) {
    return;
  }
  reply(421, enhanced, options_.hostname + " " + std::string(text));
  state_ = State::kClosed;
}

void Conversation::replyPerRecipient(int code, std::string_view enhanced, std::string_view text) {
  const size_t count = options_.protocol == Protocol::kLmtp ? rcpt_to_.size() : 1;
  for (size_t i = 0; i < count; ++i) {
    reply(code, enhanced, text);
  }
}

void Conversation::resetTransaction() {
  has_mail_ = false;
  mail_from_.clear();
  rcpt_to_.clear();
  data_.clear();
}

void Conversation::reply(int code, std::string_view enhanced, std::string_view text) {
  output_ += std::to_string(code);
  output_ += ' ';
  if (extended_ && !enhanced.empty()) {
    appendSanitized(output_, enhanced);
    output_ += ' ';
  }
  appendSanitized(output_, text);
  output_ += "\r\n";
}

void Conversation::observe(std::string_view message_outcome) {
  if (options_.observer != nullptr) {
    options_.observer->messageFinished(message_outcome);
  }
}

void Conversation::fail(int code, std::string_view enhanced, std::string_view text) {
  ++errors_;
  if (options_.observer != nullptr) {
    options_.observer->commandFailed();
  }
  reply(code, enhanced, text);
}

}  // namespace switchboard::smtp
