// Filter expressions: parsing (precedence, escapes, canonical text), evaluation (missing
// attributes, in-lists, has()), and the exact parse errors.
#include "router/policy/filter.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/unit/router/policy/policy_test_util.h"

namespace switchboard::policy {
namespace {

using testing::Attrs;

Filter compiled(std::string_view source) {
  auto filter = Filter::compile(source);
  EXPECT_TRUE(filter) << source << ": " << (filter ? "" : filter.error().message());
  return filter ? std::move(*filter) : Filter();
}

std::string errorOf(std::string_view source) {
  auto filter = Filter::compile(source);
  if (filter) return "compiled: " + filter->canonical();
  EXPECT_EQ(filter.error().code(), Errc::kConfig);
  return filter.error().message();
}

TEST(PolicyFilter, TheIssueExampleMatchesOnlyKoreanVipChat) {
  const Filter f = compiled(R"(channel == "chat" && language == "ko" && tier == "vip")");
  EXPECT_TRUE(f.matches(Attrs{{"channel", "chat"}, {"language", "ko"}, {"tier", "vip"}}));
  EXPECT_FALSE(f.matches(Attrs{{"channel", "chat"}, {"language", "en"}, {"tier", "vip"}}));
  EXPECT_FALSE(f.matches(Attrs{{"channel", "email"}, {"language", "ko"}, {"tier", "vip"}}));
  EXPECT_FALSE(f.matches(Attrs{{"channel", "chat"}, {"language", "ko"}}));
  EXPECT_EQ(f.canonical(), R"(channel == "chat" && language == "ko" && tier == "vip")");
  EXPECT_EQ(f.attributeNames(), (std::vector<std::string>{"channel", "language", "tier"}));
}

TEST(PolicyFilter, AndBindsTighterThanOrAndNotTighterThanAnd) {
  // The canonical text keeps only the parentheses the precedence needs: those that change the
  // meaning survive, redundant ones go.
  EXPECT_EQ(compiled(R"(a == "1" || (b == "2" && c == "3"))").canonical(),
            R"(a == "1" || b == "2" && c == "3")");
  EXPECT_EQ(compiled(R"((a == "1" && b == "2") || c == "3")").canonical(),
            R"(a == "1" && b == "2" || c == "3")");
  EXPECT_EQ(compiled(R"((a == "1" || b == "2") && c == "3")").canonical(),
            R"((a == "1" || b == "2") && c == "3")");
  EXPECT_EQ(compiled(R"(a == "1" && (b == "2" || c == "3"))").canonical(),
            R"(a == "1" && (b == "2" || c == "3"))");
  EXPECT_EQ(compiled(R"(!(a == "1") && b == "2")").canonical(), R"(!a == "1" && b == "2")");
  EXPECT_EQ(compiled(R"(!(a == "1" && b == "2"))").canonical(), R"(!(a == "1" && b == "2"))");
  EXPECT_EQ(compiled(R"(((a == "1")))").canonical(), R"(a == "1")");
  // Chains of one operator are flattened, parentheses or not.
  EXPECT_EQ(compiled(R"((a == "1" && b == "2") && (c == "3" && d == "4"))").canonical(),
            R"(a == "1" && b == "2" && c == "3" && d == "4")");

  // a || b && c with a true, b false: true only if && binds tighter.
  const Filter f = compiled(R"(a == "1" || b == "2" && c == "3")");
  EXPECT_TRUE(f.matches(Attrs{{"a", "1"}, {"b", "x"}, {"c", "x"}}));
  EXPECT_FALSE(f.matches(Attrs{{"a", "x"}, {"b", "2"}, {"c", "x"}}));
  EXPECT_TRUE(f.matches(Attrs{{"a", "x"}, {"b", "2"}, {"c", "3"}}));
  const Filter g = compiled(R"(!a == "1" && b == "2")");
  EXPECT_TRUE(g.matches(Attrs{{"a", "0"}, {"b", "2"}}));
  EXPECT_FALSE(g.matches(Attrs{{"a", "1"}, {"b", "2"}}));
}

TEST(PolicyFilter, MissingAttributesAreNeverEqual) {
  const Attrs none{};
  EXPECT_FALSE(compiled(R"(tier == "vip")").matches(none));
  EXPECT_TRUE(compiled(R"(tier != "vip")").matches(none));
  EXPECT_FALSE(compiled(R"(tier in ["vip", "gold"])").matches(none));
  EXPECT_FALSE(compiled("has(tier)").matches(none));
  EXPECT_TRUE(compiled("has(tier)").matches(Attrs{{"tier", ""}}));
  EXPECT_TRUE(compiled(R"(tier != "vip")").matches(Attrs{{"tier", "gold"}}));
  EXPECT_FALSE(compiled(R"(tier != "vip")").matches(Attrs{{"tier", "vip"}}));
}

TEST(PolicyFilter, InListsAndLiterals) {
  const Filter f = compiled(R"(channel in ["messenger", "instagram", "x"])");
  EXPECT_TRUE(f.matches(Attrs{{"channel", "x"}}));
  EXPECT_TRUE(f.matches(Attrs{{"channel", "instagram"}}));
  EXPECT_FALSE(f.matches(Attrs{{"channel", "email"}}));
  EXPECT_FALSE(compiled("channel in []").matches(Attrs{{"channel", ""}}));
  EXPECT_TRUE(compiled("true").matches(Attrs{}));
  EXPECT_FALSE(compiled("false || false").matches(Attrs{}));
  EXPECT_TRUE(Filter().matches(Attrs{}));
  EXPECT_EQ(Filter().canonical(), "true");
  // "has" and "in" are only keywords where the grammar expects them.
  EXPECT_TRUE(compiled(R"(has == "x")").matches(Attrs{{"has", "x"}}));
  EXPECT_TRUE(compiled(R"(in == "x")").matches(Attrs{{"in", "x"}}));
  EXPECT_TRUE(compiled(R"(page.path == "/pricing")").matches(Attrs{{"page.path", "/pricing"}}));
}

TEST(PolicyFilter, StringEscapes) {
  const Filter f = compiled(R"(subject == "say \"hi\"\\\n\t\r \u00e9\uAC00")");
  EXPECT_TRUE(f.matches(Attrs{{"subject", "say \"hi\"\\\n\t\r \xC3\xA9\xEA\xB0\x80"}}));
  EXPECT_EQ(f.canonical(), "subject == \"say \\\"hi\\\"\\\\\\n\\t\\r \xC3\xA9\xEA\xB0\x80\"");
  // UTF-8 passes through unescaped.
  EXPECT_TRUE(compiled("name == \"\xEA\xB9\x80\"").matches(Attrs{{"name", "\xEA\xB9\x80"}}));
}

TEST(PolicyFilter, CanonicalTextCompilesToItself) {
  for (const char* source :
       {R"(a == "1" || !(b != "2") && c in ["x", "y\"z"])", R"(!!has(a) || !true)",
        R"(((a == "1")))", R"(x == "\u0001")", R"(!(a == "1" || !(b == "2" && c in [])))"}) {
    const Filter f = compiled(source);
    EXPECT_EQ(compiled(f.canonical()).canonical(), f.canonical()) << source;
    EXPECT_EQ(compiled(f.canonical()), f);
  }
}

TEST(PolicyFilter, ParseErrorsSayWhereAndWhatWasExpected) {
  EXPECT_EQ(errorOf(""),
            "column 1: expected a name, \"has(\", \"true\", \"false\", \"!\" or "
            "\"(\", found end of input");
  EXPECT_EQ(errorOf(R"(channel == )"), "column 12: expected a string literal, found end of input");
  EXPECT_EQ(errorOf(R"(channel = "chat")"), "column 9: expected \"==\", found \"=\"");
  EXPECT_EQ(errorOf(R"(channel == "chat" & tier == "vip")"),
            "column 19: expected \"&&\", found \"&\"");
  EXPECT_EQ(errorOf(R"(a == "1" | b == "2")"), "column 10: expected \"||\", found \"|\"");
  EXPECT_EQ(errorOf(R"(channel == chat)"),
            "column 12: expected a string literal, found name \"chat\"");
  EXPECT_EQ(errorOf(R"(channel "chat")"),
            "column 9: expected \"==\", \"!=\" or \"in\" after name \"channel\", found string "
            "\"chat\"");
  EXPECT_EQ(errorOf(R"((channel == "chat")"), "column 19: expected \")\", found end of input");
  EXPECT_EQ(errorOf("channel == \"chat\")"),
            "column 18: expected \"&&\", \"||\" or end of input, found \")\"");
  EXPECT_EQ(errorOf(R"(channel == "chat" tier == "vip")"),
            "column 19: expected \"&&\", \"||\" or end of input, found name \"tier\"");
  EXPECT_EQ(errorOf(R"(channel == "chat)"),
            "column 12: unterminated string (expected a closing '\"')");
  EXPECT_EQ(errorOf(R"(a == "\q")"),
            "column 7: unknown escape (expected \\\" \\\\ \\n \\t \\r or "
            "\\uXXXX)");
  EXPECT_EQ(errorOf(R"(a == "\u12G4")"), "column 7: expected 4 hex digits after \\u");
  EXPECT_EQ(errorOf(R"(a == "\uD800")"), "column 7: \\u escape of a surrogate is not a character");
  EXPECT_EQ(errorOf(R"(a in "x")"), "column 6: expected \"[\", found string \"x\"");
  EXPECT_EQ(errorOf(R"(a in ["x" "y"])"), "column 11: expected \",\" or \"]\", found string \"y\"");
  EXPECT_EQ(errorOf(R"(a in ["x",])"), "column 11: expected a string literal, found \"]\"");
  EXPECT_EQ(errorOf("has(\"a\")"), "column 5: expected an attribute name, found string \"a\"");
  EXPECT_EQ(errorOf("has(a"), "column 6: expected \")\", found end of input");
  EXPECT_EQ(errorOf("a == \"1\" && $"), "column 13: unexpected character \"$\"");
  EXPECT_EQ(errorOf("a == \"1\" \x01"), "column 10: unexpected character byte 0x01");
  EXPECT_EQ(errorOf("&& a == \"1\""),
            "column 1: expected a name, \"has(\", \"true\", \"false\", \"!\" or \"(\", found "
            "\"&&\"");
}

TEST(PolicyFilter, LimitsKeepHostileInputCheap) {
  std::string deep(Filter::kMaxNesting, '(');
  deep += "true";
  deep += std::string(Filter::kMaxNesting, ')');
  EXPECT_TRUE(Filter::compile(deep));
  EXPECT_EQ(errorOf("(" + deep + ")"), "column 33: nesting deeper than 32 levels");
  EXPECT_EQ(errorOf(std::string(40, '!') + "true"), "column 33: nesting deeper than 32 levels");
  EXPECT_EQ(errorOf(std::string(Filter::kMaxSourceBytes + 1, ' ')),
            "filter longer than 4096 bytes");
  // A long flat chain is fine: it becomes one node, not a deep tree.
  std::string chain = R"(a == "0")";
  for (int i = 1; i < 300; ++i) chain += " || a == \"" + std::to_string(i) + "\"";
  const Filter f = compiled(chain);
  EXPECT_TRUE(f.matches(Attrs{{"a", "299"}}));
  EXPECT_FALSE(f.matches(Attrs{{"a", "300"}}));
}

// Found by the fuzzer: the canonical text used to wrap every chain in parentheses, so a filter
// at the nesting limit printed a canonical text beyond it.
TEST(PolicyFilter, CanonicalTextOfAFilterAtTheNestingLimitCompiles) {
  const std::string source =
      R"(r == "v" || has(x) && )" + std::string(Filter::kMaxNesting, '!') + R"(has(y) || a == "b")";
  const Filter f = compiled(source);
  EXPECT_EQ(f.canonical(), source);
  EXPECT_TRUE(Filter::compile(f.canonical()));
}

TEST(PolicyFilter, FlatAttributesFirstEntryWins) {
  const Attrs attrs{{"tier", "vip"}, {"tier", "standard"}};
  EXPECT_TRUE(compiled(R"(tier == "vip")").matches(attrs));
}

}  // namespace
}  // namespace switchboard::policy
