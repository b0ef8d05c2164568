// The protocol state machine without sockets: sequencing, replies, limits, dot-unstuffing,
// pipelining and LMTP's per-recipient replies.
#include "core/smtp/smtp_conversation.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::smtp {
namespace {

ConversationOptions smallLimits(Protocol protocol = Protocol::kSmtp) {
  ConversationOptions options;
  options.protocol = protocol;
  options.hostname = "mx.test";
  options.max_message_bytes = 200;
  options.max_recipients = 3;
  options.max_command_line_bytes = 64;
  options.max_data_line_bytes = 80;
  options.max_errors = 10;
  return options;
}

// Feeds input and collects output, delivering messages with a fixed outcome.
class Driver {
 public:
  explicit Driver(ConversationOptions options = smallLimits())
      : conversation_(std::move(options), "192.0.2.7") {
    greeting_ = run();
  }

  // Sends `bytes` and returns every reply that results.
  std::string send(std::string_view bytes) {
    conversation_.receive(bytes);
    return run();
  }

  const std::string& greeting() const { return greeting_; }
  const std::vector<ReceivedMessage>& messages() const { return messages_; }
  bool closed() const { return closed_; }
  void setOutcome(DeliveryOutcome outcome) { outcome_ = std::move(outcome); }
  Conversation& conversation() { return conversation_; }

 private:
  std::string run() {
    std::string out;
    while (true) {
      const Conversation::Next next = conversation_.advance();
      out += conversation_.takeOutput();
      if (next == Conversation::Next::kRead) {
        return out;
      }
      if (next == Conversation::Next::kClose) {
        closed_ = true;
        return out;
      }
      messages_.push_back(conversation_.takeMessage());
      conversation_.finishDelivery(outcome_);
    }
  }

  Conversation conversation_;
  std::string greeting_;
  std::vector<ReceivedMessage> messages_;
  DeliveryOutcome outcome_ = DeliveryOutcome::accepted("Ok: queued as in-1");
  bool closed_ = false;
};

TEST(SmtpConversationTest, DeliversAMessageThroughAFullSmtpDialogue) {
  Driver d;
  EXPECT_EQ(d.greeting(), "220 mx.test ESMTP Switchboard ready\r\n");
  EXPECT_EQ(d.send("EHLO client.example\r\n"),
            "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 200\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
            "250 ENHANCEDSTATUSCODES\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<Ana@Example.com> SIZE=100 BODY=8BITMIME\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(d.send("RCPT TO:<support@shop.example>\r\n"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(d.send("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(d.send("Subject: hi\r\n\r\n..leading dot\r\n.\r\n"),
            "250 2.0.0 Ok: queued as in-1\r\n");
  ASSERT_EQ(d.messages().size(), 1u);
  const ReceivedMessage& m = d.messages()[0];
  EXPECT_EQ(m.protocol, Protocol::kSmtp);
  EXPECT_EQ(m.helo, "client.example");
  EXPECT_EQ(m.mail_from, "Ana@Example.com");
  EXPECT_EQ(m.rcpt_to, std::vector<std::string>{"support@shop.example"});
  EXPECT_EQ(m.remote_address, "192.0.2.7");
  EXPECT_EQ(m.data, "Subject: hi\r\n\r\n.leading dot\r\n");
  EXPECT_EQ(d.send("QUIT\r\n"), "221 2.0.0 mx.test closing connection\r\n");
  EXPECT_TRUE(d.closed());
}

TEST(SmtpConversationTest, AnswersPipelinedCommandsInOrder) {
  Driver d;
  EXPECT_EQ(d.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n"
                   "RCPT TO:<bad>\r\nDATA\r\n"),
            std::string("250-mx.test\r\n250-PIPELINING\r\n250-SIZE 200\r\n250-8BITMIME\r\n"
                        "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n250 2.1.0 Ok\r\n"
                        "250 2.1.5 Ok\r\n501 5.1.3 bad recipient address syntax: address must "
                        "be local-part@domain\r\n354 End data with <CR><LF>.<CR><LF>\r\n"));
  // The message, the final dot and QUIT in one packet, split at awkward places.
  std::string out = d.send("line one\r\n.");
  EXPECT_EQ(out, "");
  out = d.send("\r");
  EXPECT_EQ(out, "");
  out = d.send("\nQUIT\r\n");
  EXPECT_EQ(out, "250 2.0.0 Ok: queued as in-1\r\n221 2.0.0 mx.test closing connection\r\n");
  ASSERT_EQ(d.messages().size(), 1u);
  EXPECT_EQ(d.messages()[0].data, "line one\r\n");
  EXPECT_EQ(d.messages()[0].rcpt_to, std::vector<std::string>{"x@y.example"});
}

TEST(SmtpConversationTest, AcceptsBareLineFeeds) {
  Driver d;
  d.send("HELO c\nMAIL FROM:<a@b.example>\nRCPT TO:<x@y.example>\nDATA\n");
  EXPECT_EQ(d.send("a\n.b\n.\n"), "250 Ok: queued as in-1\r\n");
  ASSERT_EQ(d.messages().size(), 1u);
  EXPECT_EQ(d.messages()[0].data, "a\nb\n");
}

TEST(SmtpConversationTest, HeloHasNoExtensionsNorEnhancedCodes) {
  Driver d;
  EXPECT_EQ(d.send("HELO c\r\n"), "250 mx.test\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example> SIZE=10\r\n"), "555 MAIL parameters need EHLO\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example>\r\n"), "250 Ok\r\n");
}

TEST(SmtpConversationTest, EnforcesTheCommandSequence) {
  Driver d;
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example>\r\n"), "503 send EHLO or HELO first\r\n");
  d.send("EHLO c\r\n");
  EXPECT_EQ(d.send("RCPT TO:<x@y.example>\r\n"), "503 5.5.1 need MAIL command\r\n");
  EXPECT_EQ(d.send("DATA\r\n"), "503 5.5.1 need MAIL command\r\n");
  d.send("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example>\r\n"), "503 5.5.1 nested MAIL command\r\n");
  EXPECT_EQ(d.send("DATA\r\n"), "503 5.5.1 need RCPT command\r\n");
  EXPECT_EQ(d.send("RSET\r\n"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.send("RCPT TO:<x@y.example>\r\n"), "503 5.5.1 need MAIL command\r\n");
  EXPECT_TRUE(d.messages().empty());
}

TEST(SmtpConversationTest, AnswersUnknownAndUnimplementedCommands) {
  Driver d;
  d.send("EHLO c\r\n");
  EXPECT_EQ(d.send("FOO bar\r\n"), "500 5.5.2 command not recognized\r\n");
  EXPECT_EQ(d.send("\r\n"), "500 5.5.2 empty command\r\n");
  EXPECT_EQ(d.send("starttls\r\n"), "502 5.5.1 STARTTLS not implemented\r\n");
  EXPECT_EQ(d.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.send("VRFY ana\r\n"), "252 2.5.2 cannot VRFY user, but will accept the message\r\n");
  EXPECT_EQ(d.send("EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(d.send("RSET x\r\n"), "501 5.5.4 RSET takes no argument\r\n");
  EXPECT_EQ(d.send("LHLO c\r\n"), "500 5.5.1 this is an SMTP server: use EHLO or HELO\r\n");
}

TEST(SmtpConversationTest, ChecksMailParameters) {
  Driver d;
  d.send("EHLO c\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example> SIZE=201\r\n"),
            "552 5.3.4 message size exceeds the limit of 200 bytes\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example> SIZE=x\r\n"),
            "501 5.5.4 SIZE wants a decimal number\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example> BODY=BINARYMIME\r\n"),
            "501 5.5.4 BODY must be 7BIT or 8BITMIME\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example> RET=HDRS\r\n"),
            "555 5.5.4 unsupported MAIL parameter RET\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example> SIZE=200 SMTPUTF8 BODY=7bit\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(d.send("RCPT TO:<x@y.example> NOTIFY=NEVER\r\n"),
            "555 5.5.4 unsupported RCPT parameter NOTIFY\r\n");
}

TEST(SmtpConversationTest, LimitsRecipients) {
  Driver d;
  d.send("EHLO c\r\nMAIL FROM:<>\r\n");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(d.send("RCPT TO:<r" + std::to_string(i) + "@y.example>\r\n"), "250 2.1.5 Ok\r\n");
  }
  EXPECT_EQ(d.send("RCPT TO:<r9@y.example>\r\n"), "452 4.5.3 too many recipients\r\n");
  d.send("DATA\r\n");
  d.send("x\r\n.\r\n");
  ASSERT_EQ(d.messages().size(), 1u);
  EXPECT_EQ(d.messages()[0].rcpt_to.size(), 3u);
  EXPECT_EQ(d.messages()[0].mail_from, "");
}

TEST(SmtpConversationTest, RefusesTooBigMessagesAfterReadingThem) {
  Driver d;
  d.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n");
  std::string body;
  for (int i = 0; i < 10; ++i) {
    body += std::string(30, 'x') + "\r\n";
  }
  EXPECT_EQ(d.send(body + ".\r\n"), "552 5.3.4 message exceeds 200 bytes\r\n");
  EXPECT_TRUE(d.messages().empty());
  // The transaction is over; the connection is still usable.
  EXPECT_EQ(d.send("RCPT TO:<x@y.example>\r\n"), "503 5.5.1 need MAIL command\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
}

TEST(SmtpConversationTest, RefusesMessagesWithOverlongLines) {
  Driver d;
  d.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n");
  // Exactly the limit passes; the terminator does not count.
  EXPECT_EQ(d.send(std::string(80, 'a') + "\r\n.\r\n"), "250 2.0.0 Ok: queued as in-1\r\n");
  d.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n");
  d.send(std::string(50, 'a'));
  d.send(std::string(31, 'a'));
  EXPECT_EQ(d.send("\r\n.\r\n"), "554 5.6.0 message has a line longer than 80 bytes\r\n");
  EXPECT_EQ(d.messages().size(), 1u);
}

TEST(SmtpConversationTest, RefusesOverlongCommandLines) {
  Driver d;
  d.send("EHLO c\r\n");
  EXPECT_EQ(d.send("NOOP " + std::string(100, 'x')), "");
  EXPECT_EQ(d.send(std::string(100, 'x')), "");
  EXPECT_EQ(d.send("\r\nNOOP\r\n"), "500 5.5.2 line too long (limit 64 bytes)\r\n250 2.0.0 Ok\r\n");
  EXPECT_EQ(d.send("NOOP " + std::string(70, 'x') + "\r\n"),
            "500 5.5.2 line too long (limit 64 bytes)\r\n");
}

TEST(SmtpConversationTest, ClosesAfterTooManyErrors) {
  Driver d;
  std::string out;
  for (int i = 0; i < 9; ++i) {
    out += d.send("BAD\r\n");
  }
  EXPECT_FALSE(d.closed());
  out += d.send("BAD\r\n");
  EXPECT_TRUE(d.closed());
  EXPECT_NE(out.find("421 mx.test too many errors, closing connection\r\n"), std::string::npos)
      << out;
}

TEST(SmtpConversationTest, PassesTheDeliveryOutcomeOn) {
  Driver d;
  d.setOutcome(DeliveryOutcome::retryLater("Kafka unavailable"));
  d.send("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n");
  EXPECT_EQ(d.send("x\r\n.\r\n"), "451 4.3.0 Kafka unavailable\r\n");
  d.setOutcome(DeliveryOutcome::rejected(554, "5.6.0", "malformed\r\nMIME"));
  d.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n");
  EXPECT_EQ(d.send("x\r\n.\r\n"), "554 5.6.0 malformed  MIME\r\n");
}

TEST(SmtpConversationTest, LmtpRepliesOncePerRecipient) {
  Driver d(smallLimits(Protocol::kLmtp));
  EXPECT_EQ(d.greeting(), "220 mx.test LMTP Switchboard ready\r\n");
  EXPECT_EQ(d.send("EHLO c\r\n"), "500 this is an LMTP server: use LHLO\r\n");
  EXPECT_EQ(d.send("LHLO c\r\n").substr(0, 13), "250-mx.test\r\n");
  d.send(
      "MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nRCPT TO:<bad>\r\n"
      "RCPT TO:<z@y.example>\r\nDATA\r\n");
  EXPECT_EQ(d.send("x\r\n.\r\n"),
            "250 2.0.0 Ok: queued as in-1\r\n250 2.0.0 Ok: queued as in-1\r\n");
  ASSERT_EQ(d.messages().size(), 1u);
  EXPECT_EQ(d.messages()[0].protocol, Protocol::kLmtp);
  EXPECT_EQ(d.messages()[0].rcpt_to, (std::vector<std::string>{"x@y.example", "z@y.example"}));
}

TEST(SmtpConversationTest, AbortSaysWhyAndCloses) {
  Driver d;
  d.conversation().abort("4.4.2", "idle timeout, closing connection");
  EXPECT_EQ(d.send(""), "421 mx.test idle timeout, closing connection\r\n");
  EXPECT_TRUE(d.closed());
}

}  // namespace
}  // namespace switchboard::smtp
