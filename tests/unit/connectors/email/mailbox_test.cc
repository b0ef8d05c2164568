#include <gtest/gtest.h>

#include "connectors/email/email_normalizer.h"

namespace switchboard::connectors::email {
namespace {

TEST(EmailMailboxTest, CanonicalAddressAndDisplayNameApart) {
  Mailbox m = parseMailbox("\"Ana Lima\" <Ana@Example.COM>");
  EXPECT_EQ(m.address, "ana@example.com");
  EXPECT_EQ(m.display_name, "Ana Lima");

  m = parseMailbox("=?UTF-8?B?7ZmN6ri464+Z?= <GILDONG@example.KR>");
  EXPECT_EQ(m.address, "gildong@example.kr");
  EXPECT_EQ(m.display_name, "홍길동");

  m = parseMailbox("plain@example.com");
  EXPECT_EQ(m.address, "plain@example.com");
  EXPECT_EQ(m.display_name, "");

  // Loose forms real clients send: an unquoted comma and dot in the name.
  m = parseMailbox("Lima, Ana J. <ana@example.com>");
  EXPECT_EQ(m.address, "ana@example.com");
}

TEST(EmailMailboxTest, NoUsableAddressGivesEmpty) {
  EXPECT_EQ(parseMailbox("").address, "");
  EXPECT_EQ(parseMailbox("undisclosed-recipients:;").address, "");
  EXPECT_EQ(parseMailbox("Ana Lima").address, "");
  EXPECT_EQ(parseMailbox("<@example.com>").address, "");
}

TEST(EmailMailboxTest, ListsFlattenGroups) {
  std::vector<Mailbox> list = parseMailboxList(
      "Team: a@example.com, \"B\" <B@example.com>;, c@example.com, not-an-address");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].address, "a@example.com");
  EXPECT_EQ(list[1].address, "b@example.com");
  EXPECT_EQ(list[1].display_name, "B");
  EXPECT_EQ(list[2].address, "c@example.com");
}

}  // namespace
}  // namespace switchboard::connectors::email
