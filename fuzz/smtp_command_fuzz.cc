// Fuzz target: the SMTP/LMTP command parser and the protocol state machine
// (core/smtp/smtp_command.h, smtp_conversation.h). Each input line goes through the command
// and path parsers; then the whole input is fed to a Conversation (SMTP, then LMTP) in chunks
// whose sizes come from the first byte, so that lines and the final dot are split at every
// possible place, with small limits so that every limit is reached. Completed messages are
// answered in turn accepted / retry later / rejected. Besides crashes, a broken invariant
// (a reply not ending in CRLF, a message larger than the limit) traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/smtp/smtp_command.h"
#include "core/smtp/smtp_conversation.h"
#include "fuzz/fuzz_request.h"

namespace {

using namespace switchboard::smtp;

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

void parseLines(std::string_view input) {
  while (!input.empty()) {
    const size_t newline = input.find('\n');
    std::string_view line = input.substr(0, newline);
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
    const Command command = parseCommand(line);
    if (command.verb == Verb::kMail || command.verb == Verb::kRcpt) {
      auto path = parsePathArgument(command.argument, command.verb == Verb::kMail ? "FROM:" : "TO:",
                                    command.verb == Verb::kMail);
      if (path) {
        for (const Parameter& parameter : path->parameters) {
          if (parameter.keyword == "SIZE") {
            (void)parseSizeValue(parameter.value);
          }
        }
      }
    }
  }
}

void converse(std::string_view input, Protocol protocol, size_t chunk) {
  ConversationOptions options;
  options.protocol = protocol;
  options.max_message_bytes = 512;
  options.max_recipients = 4;
  options.max_command_line_bytes = 128;
  options.max_data_line_bytes = 100;
  options.max_errors = 50;
  Conversation conversation(options, "192.0.2.1");
  int delivered = 0;
  bool closed = false;
  while (!closed) {
    const Conversation::Next next = conversation.advance();
    const std::string output = conversation.takeOutput();
    check(output.empty() || output.ends_with("\r\n"));
    switch (next) {
      case Conversation::Next::kRead:
        if (input.empty()) {
          conversation.abort("4.4.2", "idle timeout");
        } else {
          const size_t n = std::min(chunk, input.size());
          conversation.receive(input.substr(0, n));
          input.remove_prefix(n);
        }
        break;
      case Conversation::Next::kDeliver: {
        const ReceivedMessage message = conversation.takeMessage();
        check(message.data.size() <= options.max_message_bytes);
        check(!message.rcpt_to.empty() && message.rcpt_to.size() <= options.max_recipients);
        switch (delivered++ % 3) {
          case 0: conversation.finishDelivery(DeliveryOutcome::accepted("Ok")); break;
          case 1: conversation.finishDelivery(DeliveryOutcome::retryLater("later")); break;
          default:
            conversation.finishDelivery(DeliveryOutcome::rejected(554, "5.6.0", "bad\r\nmime"));
        }
        break;
      }
      case Conversation::Next::kClose: closed = true; break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = switchboard::fuzz::asView(data, size);
  if (input.empty()) {
    return 0;
  }
  const size_t chunk = 1 + static_cast<unsigned char>(input.front()) % 64;
  input.remove_prefix(1);
  parseLines(input);
  converse(input, Protocol::kSmtp, chunk);
  converse(input, Protocol::kLmtp, chunk);
  return 0;
}
