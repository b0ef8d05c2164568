// The command-line parser: verbs, MAIL/RCPT paths and ESMTP parameters.
#include "core/smtp/smtp_command.h"

#include <gtest/gtest.h>

namespace switchboard::smtp {
namespace {

TEST(SmtpCommandTest, RecognisesVerbsCaseInsensitively) {
  EXPECT_EQ(parseCommand("EHLO mx.example.com").verb, Verb::kEhlo);
  EXPECT_EQ(parseCommand("ehlo mx.example.com").verb, Verb::kEhlo);
  EXPECT_EQ(parseCommand("LhLo x").verb, Verb::kLhlo);
  EXPECT_EQ(parseCommand("mail FROM:<a@b>").verb, Verb::kMail);
  EXPECT_EQ(parseCommand("DATA").verb, Verb::kData);
  EXPECT_EQ(parseCommand("quit").verb, Verb::kQuit);
  EXPECT_EQ(parseCommand("STARTTLS").verb, Verb::kNotImplemented);
  EXPECT_EQ(parseCommand("AUTH PLAIN AGFiAGM=").verb, Verb::kNotImplemented);
  EXPECT_EQ(parseCommand("DATAX").verb, Verb::kUnknown);
  EXPECT_EQ(parseCommand("").verb, Verb::kUnknown);
  EXPECT_EQ(parseCommand("   ").verb, Verb::kUnknown);
}

TEST(SmtpCommandTest, SplitsNameAndTrimmedArgument) {
  const Command command = parseCommand("HELO  relay.example.org \t");
  EXPECT_EQ(command.name, "HELO");
  EXPECT_EQ(command.argument, "relay.example.org");
  EXPECT_EQ(parseCommand("NOOP").argument, "");
}

TEST(SmtpCommandTest, ParsesMailFromWithParameters) {
  auto path =
      parsePathArgument("FROM:<Ana@Example.COM> SIZE=1234 body=8bitmime SMTPUTF8", "FROM:", true);
  ASSERT_TRUE(path.has_value()) << path.error().message();
  EXPECT_EQ(path->address, "Ana@Example.COM");
  ASSERT_EQ(path->parameters.size(), 3u);
  EXPECT_EQ(path->parameters[0].keyword, "SIZE");
  EXPECT_EQ(path->parameters[0].value, "1234");
  EXPECT_EQ(path->parameters[1].keyword, "BODY");
  EXPECT_EQ(path->parameters[1].value, "8bitmime");
  EXPECT_EQ(path->parameters[2].keyword, "SMTPUTF8");
  EXPECT_EQ(path->parameters[2].value, "");
}

TEST(SmtpCommandTest, AcceptsTheNullReversePathOnlyWhenAllowed) {
  auto bounce = parsePathArgument("FROM:<>", "FROM:", true);
  ASSERT_TRUE(bounce.has_value());
  EXPECT_EQ(bounce->address, "");
  auto rcpt = parsePathArgument("TO:<>", "TO:", false);
  ASSERT_FALSE(rcpt.has_value());
  EXPECT_EQ(rcpt.error().code(), Errc::kMalformedInput);
}

TEST(SmtpCommandTest, IsLenientLikeCommonMtas) {
  auto spaced = parsePathArgument("from: <a@b.example>", "FROM:", true);
  ASSERT_TRUE(spaced.has_value());
  EXPECT_EQ(spaced->address, "a@b.example");
  auto bare = parsePathArgument("TO:c@d.example", "TO:", false);
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->address, "c@d.example");
  auto routed = parsePathArgument("TO:<@relay1,@relay2:user@host.example>", "TO:", false);
  ASSERT_TRUE(routed.has_value());
  EXPECT_EQ(routed->address, "user@host.example");
  auto postmaster = parsePathArgument("TO:<Postmaster>", "TO:", false);
  ASSERT_TRUE(postmaster.has_value());
  EXPECT_EQ(postmaster->address, "Postmaster");
}

TEST(SmtpCommandTest, KeepsQuotedLocalParts) {
  auto quoted = parsePathArgument(R"(TO:<"john >doe"@example.com>)", "TO:", false);
  ASSERT_TRUE(quoted.has_value()) << quoted.error().message();
  EXPECT_EQ(quoted->address, R"("john >doe"@example.com)");
}

TEST(SmtpCommandTest, RejectsMalformedPaths) {
  const char* bad[] = {
      "FROM:",                  // no path
      "FROM <a@b>",             // no colon
      "TO:<a@b",                // unterminated
      "TO:<a@b>x",              // junk after '>'
      "TO:<a b@c>",             // blank in the address
      "TO:<nobody>",            // no domain
      "TO:<@b>",                // empty local part
      "TO:<a@>",                // empty domain
      "TO:<\"unterminated@b>",  // open quote
      "TO:<@relay>",            // source route without address
      "TO:<a\x01@b>",           // control character
      "TO:<a@b> =x",            // parameter without keyword
      "TO:<a@b> SIZE=",         // empty value
      "TO:<a@b> K=v=w",         // '=' in value
  };
  for (const char* argument : bad) {
    std::string_view view(argument);
    const std::string_view prefix = view.starts_with("FROM") ? "FROM:" : "TO:";
    auto path = parsePathArgument(view, prefix, false);
    EXPECT_FALSE(path.has_value()) << argument;
    if (!path.has_value()) {
      EXPECT_EQ(path.error().code(), Errc::kMalformedInput) << argument;
      EXPECT_FALSE(path.error().message().empty());
    }
  }
}

TEST(SmtpCommandTest, LimitsThePathLength) {
  const std::string local(250, 'a');
  EXPECT_FALSE(parsePathArgument("TO:<" + local + "@example.com>", "TO:", false).has_value());
  EXPECT_TRUE(parsePathArgument("TO:<" + std::string(200, 'a') + "@example.com>", "TO:", false)
                  .has_value());
}

TEST(SmtpCommandTest, ParsesSizeValues) {
  auto zero = parseSizeValue("0");
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(*zero, 0u);
  auto limit = parseSizeValue("26214400");
  ASSERT_TRUE(limit.has_value());
  EXPECT_EQ(*limit, 26214400u);
  EXPECT_FALSE(parseSizeValue("").has_value());
  EXPECT_FALSE(parseSizeValue("12a").has_value());
  EXPECT_FALSE(parseSizeValue("-1").has_value());
  EXPECT_FALSE(parseSizeValue("99999999999999999999").has_value());
}

}  // namespace
}  // namespace switchboard::smtp
