#include "connectors/common/form_urlencoded.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::connectors {
namespace {

std::vector<FormField> parseOk(std::string_view body) {
  auto fields = parseFormUrlencoded(body);
  EXPECT_TRUE(fields.has_value()) << body << ": " << fields.error().message();
  return fields.has_value() ? *fields : std::vector<FormField>();
}

void expectMalformed(std::string_view body) {
  auto fields = parseFormUrlencoded(body);
  ASSERT_FALSE(fields.has_value()) << body;
  EXPECT_EQ(fields.error().code(), Errc::kMalformedInput) << body;
  EXPECT_FALSE(fields.error().message().empty());
}

TEST(FormUrlencodedTest, ParsesFieldsInOrder) {
  EXPECT_EQ(parseOk("b=2&a=1&c=3"), (std::vector<FormField>{{"b", "2"}, {"a", "1"}, {"c", "3"}}));
}

TEST(FormUrlencodedTest, EmptyBodyHasNoFields) {
  EXPECT_TRUE(parseOk("").empty());
  EXPECT_TRUE(parseOk("&").empty());
  EXPECT_TRUE(parseOk("&&&").empty());
}

TEST(FormUrlencodedTest, KeepsEmptyValues) {
  EXPECT_EQ(parseOk("Body=&NumMedia=0"), (std::vector<FormField>{{"Body", ""}, {"NumMedia", "0"}}));
  // No '=' at all: a name with an empty value.
  EXPECT_EQ(parseOk("flag&x=1"), (std::vector<FormField>{{"flag", ""}, {"x", "1"}}));
  // An empty name is still a field.
  EXPECT_EQ(parseOk("=v"), (std::vector<FormField>{{"", "v"}}));
  EXPECT_EQ(parseOk("="), (std::vector<FormField>{{"", ""}}));
}

TEST(FormUrlencodedTest, SkipsEmptyPieces) {
  EXPECT_EQ(parseOk("&a=1&&b=2&"), (std::vector<FormField>{{"a", "1"}, {"b", "2"}}));
}

TEST(FormUrlencodedTest, SplitsOnTheFirstEqualsSign) {
  EXPECT_EQ(parseOk("a=b=c"), (std::vector<FormField>{{"a", "b=c"}}));
}

TEST(FormUrlencodedTest, PlusIsSpaceAndEncodedPlusIsPlus) {
  EXPECT_EQ(parseOk("Body=hello+world"), (std::vector<FormField>{{"Body", "hello world"}}));
  EXPECT_EQ(parseOk("From=%2B14155550100"), (std::vector<FormField>{{"From", "+14155550100"}}));
  EXPECT_EQ(parseOk("From=%2b1"), (std::vector<FormField>{{"From", "+1"}}));  // lowercase hex
  EXPECT_EQ(parseOk("a=%20+%2B+"), (std::vector<FormField>{{"a", "  + "}}));
  // A raw '+' meant as a plus sign is a client bug: it decodes to a space.
  EXPECT_EQ(parseOk("From=+14155550100"), (std::vector<FormField>{{"From", " 14155550100"}}));
  // Names decode the same way.
  EXPECT_EQ(parseOk("my+key%21=1"), (std::vector<FormField>{{"my key!", "1"}}));
}

TEST(FormUrlencodedTest, DecodesSeparatorsInsideNamesAndValues) {
  EXPECT_EQ(parseOk("q=a%26b%3Dc&x%3Dy=z"), (std::vector<FormField>{{"q", "a&b=c"}, {"x=y", "z"}}));
  EXPECT_EQ(parseOk("p=100%25"), (std::vector<FormField>{{"p", "100%"}}));
}

TEST(FormUrlencodedTest, KeepsRepeatedKeys) {
  auto fields = parseOk("tag=b&x=1&tag=a&tag=b");
  EXPECT_EQ(fields, (std::vector<FormField>{{"tag", "b"}, {"x", "1"}, {"tag", "a"}, {"tag", "b"}}));
  EXPECT_EQ(formCount(fields, "tag"), 3u);
  EXPECT_EQ(formCount(fields, "x"), 1u);
  EXPECT_EQ(formCount(fields, "nope"), 0u);
  EXPECT_EQ(formValue(fields, "tag"), "b");  // the first
  EXPECT_EQ(formValue(fields, "x"), "1");
  EXPECT_FALSE(formValue(fields, "nope").has_value());
  EXPECT_FALSE(formValue(fields, "TAG").has_value());  // names are case-sensitive
}

TEST(FormUrlencodedTest, DecodesUtf8) {
  EXPECT_EQ(parseOk("Body=Ol%C3%A1+%F0%9F%91%8B"),
            (std::vector<FormField>{{"Body", "Ol\xC3\xA1 \xF0\x9F\x91\x8B"}}));
  // Raw (unencoded) UTF-8 bytes pass through.
  EXPECT_EQ(parseOk("Body=Ol\xC3\xA1"), (std::vector<FormField>{{"Body", "Ol\xC3\xA1"}}));
}

TEST(FormUrlencodedTest, RejectsBadEscapes) {
  expectMalformed("a=%");
  expectMalformed("a=%2");
  expectMalformed("a=%zz");
  expectMalformed("a=%G1");
  expectMalformed("a=%1G");
  expectMalformed("a=100%");
  expectMalformed("a=%%41");
  expectMalformed("a%=1");
  expectMalformed("ok=1&bad=%x&later=2");
  expectMalformed("a=% 1");
}

TEST(FormUrlencodedTest, RejectsInvalidUtf8) {
  expectMalformed("a=%FF");
  expectMalformed("a=%C3");           // truncated
  expectMalformed("a=%C0%AF");        // overlong '/'
  expectMalformed("a=%E0%80%AF");     // overlong
  expectMalformed("a=%ED%A0%80");     // UTF-16 surrogate
  expectMalformed("a=%F4%90%80%80");  // above U+10FFFF
  expectMalformed("a=%80");           // lone continuation byte
  expectMalformed("%FF=1");           // in a name
  expectMalformed("a=\xFF");          // raw
}

TEST(FormUrlencodedTest, ErrorNamesThePositionNotTheContent) {
  auto fields = parseFormUrlencoded("a=1&secret%=hunter2");
  ASSERT_FALSE(fields.has_value());
  EXPECT_NE(fields.error().message().find("field 2"), std::string::npos)
      << fields.error().message();
  EXPECT_EQ(fields.error().message().find("hunter2"), std::string::npos);
}

TEST(FormUrlencodedTest, DecodeComponent) {
  EXPECT_EQ(formUrldecode("a+b%2Bc"), "a b+c");
  EXPECT_EQ(formUrldecode(""), "");
  EXPECT_EQ(formUrldecode("%00"), std::string(1, '\0'));
  EXPECT_FALSE(formUrldecode("%").has_value());
  EXPECT_FALSE(formUrldecode("%0").has_value());
  EXPECT_FALSE(formUrldecode("x%g0").has_value());
}

TEST(FormUrlencodedTest, EncodeRoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::string encoded = formUrlencode(all);
  EXPECT_EQ(encoded.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._%+"),
            std::string::npos);
  EXPECT_EQ(formUrldecode(encoded), all);
  EXPECT_EQ(formUrlencode("+1 (415) a&b=c/d"), "%2B1+%28415%29+a%26b%3Dc%2Fd");
}

TEST(FormUrlencodedTest, Utf8Validation) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii\n"));
  EXPECT_TRUE(isValidUtf8("\xC3\xA1"));           // á
  EXPECT_TRUE(isValidUtf8("\xE2\x82\xAC"));       // €
  EXPECT_TRUE(isValidUtf8("\xED\x9F\xBF"));       // U+D7FF, just below the surrogates
  EXPECT_TRUE(isValidUtf8("\xEE\x80\x80"));       // U+E000, just above
  EXPECT_TRUE(isValidUtf8("\xF0\x9F\x91\x8B"));   // 👋
  EXPECT_TRUE(isValidUtf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xC1\xBF"));          // overlong
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(isValidUtf8("\xE2\x28\xA1"));      // bad continuation
  EXPECT_FALSE(isValidUtf8("\xF0\x8F\xBF\xBF"));  // overlong
  EXPECT_FALSE(isValidUtf8("\xF5\x80\x80\x80"));  // out of range lead byte
}

}  // namespace
}  // namespace switchboard::connectors
