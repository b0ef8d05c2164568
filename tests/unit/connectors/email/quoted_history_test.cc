#include <gtest/gtest.h>

#include "connectors/email/email_normalizer.h"

namespace switchboard::connectors::email {
namespace {

TEST(EmailQuotedHistoryTest, OnWroteAttribution) {
  SplitReply split = splitQuotedHistory(
      "Yes, Tuesday works.\n\nOn Tue, 7 May 2024 at 10:00, Bo <bo@example.com> wrote:\n> When?\n");
  EXPECT_EQ(split.new_text, "Yes, Tuesday works.");
  EXPECT_EQ(split.quoted_history,
            "On Tue, 7 May 2024 at 10:00, Bo <bo@example.com> wrote:\n> When?");
}

TEST(EmailQuotedHistoryTest, TranslatedAttributions) {
  EXPECT_EQ(
      splitQuotedHistory("Danke!\nAm 7. Mai 2024 um 10:00 schrieb Bo <bo@x.de>:\n> Hallo").new_text,
      "Danke!");
  EXPECT_EQ(splitQuotedHistory("Merci\nLe 7 mai 2024, Bo a écrit :\n> Salut").new_text, "Merci");
}

TEST(EmailQuotedHistoryTest, OutlookSeparators) {
  SplitReply split = splitQuotedHistory(
      "Fixed, thanks.\n\n________________________________\nFrom: Bo <bo@example.com>\n"
      "Sent: Tuesday\nTo: Ana\nSubject: Bug\n\nIt is broken.");
  EXPECT_EQ(split.new_text, "Fixed, thanks.");
  EXPECT_EQ(split.quoted_history.substr(0, 10), "__________");

  split = splitQuotedHistory(
      "Fixed.\n\nFrom: Bo <bo@example.com>\nSent: Tuesday\nTo: Ana\nSubject: Bug\n\nBroken.");
  EXPECT_EQ(split.new_text, "Fixed.");
  EXPECT_EQ(split.quoted_history.substr(0, 9), "From: Bo ");
}

TEST(EmailQuotedHistoryTest, TrailingQuoteBlockOnly) {
  SplitReply split = splitQuotedHistory("Sounds good.\n\n> earlier text\n>\n> more\n\n");
  EXPECT_EQ(split.new_text, "Sounds good.");
  EXPECT_EQ(split.quoted_history, "> earlier text\n>\n> more");
}

TEST(EmailQuotedHistoryTest, InlineRepliesAndPlainTextStayWhole) {
  // Quoted lines answered in between are part of the new text.
  const std::string inline_reply = "> Which size?\nL, please.\n> Colour?\nBlue.";
  EXPECT_EQ(splitQuotedHistory(inline_reply).new_text, inline_reply);
  EXPECT_EQ(splitQuotedHistory(inline_reply).quoted_history, "");
  EXPECT_EQ(splitQuotedHistory("Just a question.\n").new_text, "Just a question.");
  // Nothing before the marker: kept whole rather than emptied.
  SplitReply only_quote = splitQuotedHistory("> quoted\n> only");
  EXPECT_EQ(only_quote.new_text, "> quoted\n> only");
  EXPECT_EQ(only_quote.quoted_history, "");
}

}  // namespace
}  // namespace switchboard::connectors::email
