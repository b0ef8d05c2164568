#include <gtest/gtest.h>

#include "connectors/email/email_normalizer.h"

namespace switchboard::connectors::email {
namespace {

TEST(EmailHtmlToTextTest, BlocksBecomeLinesAndWhiteSpaceCollapses) {
  EXPECT_EQ(htmlToText("<p>Hello\n   <b>world</b></p><p>Second&nbsp;paragraph</p>"),
            "Hello world\n\nSecond paragraph");
  EXPECT_EQ(htmlToText("<div>one</div><div>two<br>three</div>"), "one\ntwo\nthree");
  EXPECT_EQ(htmlToText("a<br><br><br><br>b"), "a\n\nb");  // at most one blank line
}

TEST(EmailHtmlToTextTest, EntitiesListsAndLinks) {
  EXPECT_EQ(htmlToText("<p>caf&eacute; &amp; cr&#232;me &lt;3</p>"), "caf\u00e9 & cr\u00e8me <3");
  EXPECT_EQ(htmlToText("<ul><li>first</li><li>second</li></ul>"), "- first\n- second");
  EXPECT_EQ(htmlToText("<a href=\"https://x.example/a\">the docs</a>"),
            "the docs <https://x.example/a>");
  EXPECT_EQ(htmlToText("<a href=\"https://x.example/a\">https://x.example/a</a>"),
            "https://x.example/a");
}

TEST(EmailHtmlToTextTest, ScriptStyleAndHeadAreDropped) {
  EXPECT_EQ(htmlToText("<html><head><title>T</title><style>p{}</style></head><body>"
                       "<script>alert(1)</script>Visible</body></html>"),
            "Visible");
}

TEST(EmailHtmlToTextTest, BlockquotesBecomeQuotedLines) {
  EXPECT_EQ(htmlToText("<div>Reply</div><blockquote>Old line<br>Another"
                       "<blockquote>Older</blockquote></blockquote>"),
            "Reply\n> Old line\n> Another\n> > Older");
}

TEST(EmailHtmlToTextTest, PreKeepsLineBreaks) {
  EXPECT_EQ(htmlToText("<pre>a  b\nc</pre>"), "a  b\nc");
}

TEST(EmailHtmlToTextTest, TagSoupAndGarbageNeverFail) {
  EXPECT_EQ(htmlToText("<p>unclosed <b>bold <i>both</p> after"), "unclosed bold both\n\nafter");
  EXPECT_EQ(htmlToText(""), "");
  EXPECT_EQ(htmlToText("a < b && c > d"), "a < b && c > d");
  EXPECT_EQ(htmlToText("<<<>>>"), ">>>");  // libxml2 drops what cannot start a tag
  EXPECT_EQ(htmlToText("\xFF\xFE<p>x</p>"), "\uFFFD\uFFFD\n\nx");
}

}  // namespace
}  // namespace switchboard::connectors::email
