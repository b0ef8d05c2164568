#include <string>

#include <gtest/gtest.h>

#include "connectors/email/email_normalizer.h"

namespace switchboard::connectors::email {
namespace {

TEST(EmailCharsetTest, ConvertsTheCommonMailCharsets) {
  EXPECT_EQ(toUtf8("Gr\xFC\xDF"
                   "e",
                   "ISO-8859-1"),
            "Gr\u00fc\u00dfe");
  EXPECT_EQ(toUtf8("\x93quoted\x94 \x80", "windows-1252"), "\u201cquoted\u201d \u20ac");
  EXPECT_EQ(toUtf8("\xBE\xC8\xB3\xE7", "EUC-KR"), "안녕");
  EXPECT_EQ(toUtf8("\xBE\xC8\xB3\xE7", "ks_c_5601-1987"), "안녕");  // Outlook's label for it
  EXPECT_EQ(toUtf8("\x1B$B$3$s$K$A$O\x1B(B", "ISO-2022-JP"), "こんにちは");
  EXPECT_EQ(toUtf8("\x82\xB1\x82\xF1\x82\xC9\x82\xBF\x82\xCD", "Shift_JIS"), "こんにちは");
  EXPECT_EQ(toUtf8("caf\xC3\xA9", "utf-8"), "caf\u00e9");
  EXPECT_EQ(toUtf8("caf\xC3\xA9", "\"UTF-8\""), "caf\u00e9");  // quoted label
}

TEST(EmailCharsetTest, LabelsAreReadAsBrowsersReadThem) {
  // ISO-8859-1 and US-ASCII mail is Windows-1252 in practice: 0x80 is the euro sign.
  EXPECT_EQ(toUtf8("3\x80", "iso-8859-1"), "3\u20ac");
  EXPECT_EQ(toUtf8("3\x80", "us-ascii"), "3\u20ac");
  // No label, or an unknown one: UTF-8 when it is valid UTF-8, else Windows-1252.
  EXPECT_EQ(toUtf8("caf\xC3\xA9", ""), "caf\u00e9");
  EXPECT_EQ(toUtf8("caf\xE9", ""), "caf\u00e9");
  EXPECT_EQ(toUtf8("caf\xE9", "x-no-such-charset"), "caf\u00e9");
}

TEST(EmailCharsetTest, InvalidSequencesBecomeReplacementCharacters) {
  EXPECT_EQ(toUtf8("a\xFF"
                   "b",
                   "UTF-8"),
            "a\uFFFDb");
  EXPECT_EQ(toUtf8("a\xED\xA0\x80"
                   "b",
                   "UTF-8"),
            "a\uFFFD\uFFFD\uFFFDb");              // a surrogate
  EXPECT_EQ(toUtf8("\xBE", "EUC-KR"), "\uFFFD");  // cut off
  EXPECT_EQ(toUtf8("ok\xFF\xFFok", "Shift_JIS"), "ok\uFFFD\uFFFDok");
  EXPECT_EQ(toUtf8(std::string("a\0b", 3), "UTF-8"), "ab");  // NUL dropped
}

TEST(EmailCharsetTest, DecodesEncodedWordsInHeaders) {
  EXPECT_EQ(decodeHeaderText("=?EUC-KR?B?uei827muwMc=?="), "배송문의");
  EXPECT_EQ(decodeHeaderText("=?ISO-2022-JP?B?GyRCQ21KOCRLJEQkJCRGGyhC?="), "注文について");
  EXPECT_EQ(decodeHeaderText("=?Shift_JIS?B?ldSVaYLMiMuXig==?="), "返品の依頼");
  EXPECT_EQ(decodeHeaderText("=?iso-8859-1?q?Gr=FC=DFe?= aus =?utf-8?q?M=C3=BCnchen?="),
            "Gr\u00fc\u00dfe aus M\u00fcnchen");
  // Folded over two lines; adjacent encoded-words join without the space between them.
  EXPECT_EQ(decodeHeaderText("=?UTF-8?Q?Ol=C3=A1,?=\r\n =?UTF-8?Q?_mundo?="), "Ol\u00e1, mundo");
  EXPECT_EQ(decodeHeaderText("  plain subject  "), "plain subject");
}

}  // namespace
}  // namespace switchboard::connectors::email
