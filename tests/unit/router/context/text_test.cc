#include "router/context/text.h"

#include <string>

#include <gtest/gtest.h>

namespace switchboard::context {
namespace {

TEST(TruncateUtf8, KeepsShortTextWhole) {
  EXPECT_EQ(truncateUtf8("hello", 80), "hello");
  EXPECT_EQ(truncateUtf8("", 0), "");
  EXPECT_EQ(truncateUtf8("hello", 5), "hello");
}

TEST(TruncateUtf8, NeverCutsInsideASequence) {
  const std::string korean = "안녕하세요";  // 5 × 3 bytes
  ASSERT_EQ(korean.size(), 15u);
  EXPECT_EQ(truncateUtf8(korean, 14), "안녕하세");
  EXPECT_EQ(truncateUtf8(korean, 13), "안녕하세");
  EXPECT_EQ(truncateUtf8(korean, 12), "안녕하세");
  EXPECT_EQ(truncateUtf8(korean, 11), "안녕하");
  EXPECT_EQ(truncateUtf8(korean, 2), "");
  const std::string emoji = "ok 👍👍";  // 3 + 2 × 4 bytes
  EXPECT_EQ(truncateUtf8(emoji, 10), "ok 👍");
  EXPECT_EQ(truncateUtf8(emoji, 6), "ok ");
  EXPECT_EQ(truncateUtf8("é", 1), "");  // 2 bytes
}

TEST(MakeSnippet, CollapsesWhitespaceAndBoundsBytes) {
  EXPECT_EQ(makeSnippet("  Hi,\n\n my   order\t#42 \r\n", 80), "Hi, my order #42");
  EXPECT_EQ(makeSnippet("abcdef", 4), "abcd");
  std::string long_korean;
  for (int i = 0; i < 40; ++i) long_korean += "주문";
  const std::string snippet = makeSnippet(long_korean, 80);
  EXPECT_EQ(snippet.size(), 78u);  // 26 whole characters of 3 bytes
  EXPECT_EQ(snippet, long_korean.substr(0, 78));
}

TEST(MakeSubject, StripsReplyAndForwardPrefixes) {
  EXPECT_EQ(makeSubject("Re: RE: Fwd: Refund for order 42", 80), "Refund for order 42");
  EXPECT_EQ(makeSubject("fw:  Invoice", 80), "Invoice");
  EXPECT_EQ(makeSubject("Reply needed", 80), "Reply needed");  // "Re" without the colon stays
}

TEST(ThreadKeyHash, IgnoresAngleBracketsAndSpaces) {
  EXPECT_EQ(threadKeyHash("<abc@mail.example>"), threadKeyHash("abc@mail.example"));
  EXPECT_EQ(threadKeyHash(" <abc@mail.example> "), threadKeyHash("abc@mail.example"));
  EXPECT_NE(threadKeyHash("abc@mail.example"), threadKeyHash("abd@mail.example"));
  EXPECT_EQ(threadKeyHash(""), 0u);
  EXPECT_EQ(threadKeyHash("<>"), 0u);
  // Stored in state: the value must never change between builds. FNV-1a 64 of "a".
  EXPECT_EQ(threadKeyHash("a"), 0xaf63dc4c8601ec8cull);
}

}  // namespace
}  // namespace switchboard::context
