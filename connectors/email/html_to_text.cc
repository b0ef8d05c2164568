// htmlToText(): what a reader sees of an HTML mail, as plain text. libxml2's HTML parser builds
// the tree (it copes with the tag soup mail clients send and decodes entities); a walk over it
// writes text nodes with HTML's white-space collapsing, turns block elements into line breaks,
// list items into "- " lines, and blockquotes into "> " quoted lines, so that the quoted
// history of an HTML-only reply looks to splitQuotedHistory() like a plain-text reply.
// script, style and head are dropped. Link targets follow their text when they differ.
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <string>
#include <string_view>

#include "connectors/email/email_normalizer.h"
#include "connectors/email/utf8_text.h"

namespace switchboard::connectors::email {
namespace {

constexpr int kParseFlags = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                            HTML_PARSE_NONET | HTML_PARSE_COMPACT;
constexpr size_t kMaxLinkBytes = 512;

enum class Kind { kInline, kSkip, kLine, kParagraph, kBreak, kListItem, kCell, kQuote, kPre };

Kind kindOf(std::string_view tag) {
  struct Entry {
    std::string_view tag;
    Kind kind;
  };
  static constexpr Entry kTable[] = {
      {"br", Kind::kBreak},     {"p", Kind::kParagraph},      {"div", Kind::kLine},
      {"li", Kind::kListItem},  {"tr", Kind::kLine},          {"td", Kind::kCell},
      {"th", Kind::kCell},      {"blockquote", Kind::kQuote}, {"pre", Kind::kPre},
      {"h1", Kind::kParagraph}, {"h2", Kind::kParagraph},     {"h3", Kind::kParagraph},
      {"h4", Kind::kParagraph}, {"h5", Kind::kParagraph},     {"h6", Kind::kParagraph},
      {"ul", Kind::kParagraph}, {"ol", Kind::kParagraph},     {"table", Kind::kParagraph},
      {"hr", Kind::kParagraph}, {"dl", Kind::kParagraph},     {"dt", Kind::kLine},
      {"dd", Kind::kLine},      {"section", Kind::kLine},     {"article", Kind::kLine},
      {"header", Kind::kLine},  {"footer", Kind::kLine},      {"address", Kind::kLine},
      {"center", Kind::kLine},  {"caption", Kind::kLine},     {"form", Kind::kLine},
      {"script", Kind::kSkip},  {"style", Kind::kSkip},       {"head", Kind::kSkip},
      {"title", Kind::kSkip},   {"template", Kind::kSkip},    {"object", Kind::kSkip},
      {"iframe", Kind::kSkip},  {"svg", Kind::kSkip},
  };
  for (const Entry& entry : kTable) {
    if (entry.tag == tag) return entry.kind;
  }
  return Kind::kInline;
}

// Writes text with pending line breaks and spaces resolved lazily, so that empty elements
// leave no blank lines and every line inside blockquotes gets its "> " prefix.
class TextWriter {
 public:
  void text(std::string_view s) {
    for (size_t i = 0; i < s.size(); ++i) {
      // A run of ordinary characters: the first resolves what is pending, the rest are
      // appended as they are (what put() would do for each of them, one call instead of many).
      const size_t run = ordinaryRun(s, i);
      if (run > 0) {
        put(s[i]);
        out_.append(s.data() + i + 1, run - 1);
        i += run - 1;
        continue;
      }
      char c = s[i];
      // U+00A0 NO-BREAK SPACE, everywhere in mail HTML, reads as a space.
      if (c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') {
        ++i;
        c = ' ';
      }
      if (pre_depth_ > 0) {
        if (c == '\r') continue;
        if (c == '\n') {
          ++breaks_;
          continue;
        }
        put(c);
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        space_ = true;
        continue;
      }
      put(c);
    }
  }
  void lineBreak(int lines) { breaks_ = std::max(breaks_, lines); }
  void hardBreak() { ++breaks_; }
  void space() { space_ = true; }
  void bullet() { bullet_ = true; }
  void enterQuote() { ++quote_depth_; }
  void leaveQuote() { --quote_depth_; }
  void enterPre() { ++pre_depth_; }
  void leavePre() { --pre_depth_; }

  std::string finish() {
    // Trailing white space of each line, and blank lines at either end, carry nothing.
    std::string result;
    result.reserve(out_.size());
    size_t start = 0;
    while (start <= out_.size()) {
      size_t end = out_.find('\n', start);
      if (end == std::string::npos) end = out_.size();
      std::string_view line(out_.data() + start, end - start);
      size_t last = line.find_last_not_of(" \t");
      result.append(line.substr(0, last == std::string_view::npos ? 0 : last + 1));
      if (end < out_.size()) result += '\n';
      start = end + 1;
    }
    return std::string(trimSpace(result));
  }

 private:
  // Length of the run at s[i] of characters that text() passes to put() unchanged: not white
  // space (which collapses, or in <pre> breaks lines) and not the lead byte of U+00A0.
  size_t ordinaryRun(std::string_view s, size_t i) const {
    size_t end = i;
    while (end < s.size()) {
      const char c = s[end];
      if (c == '\xC2' || c == '\r' || c == '\n') break;
      if (pre_depth_ == 0 && (c == ' ' || c == '\t' || c == '\f')) break;
      ++end;
    }
    return end - i;
  }

  void put(char c) {
    if (!out_.empty() && breaks_ > 0) {
      for (int i = 0; i < std::min(breaks_, 2); ++i) {
        out_ += '\n';
        // A blank line inside a quote stays part of it.
        if (i + 1 < std::min(breaks_, 2) && quote_depth_ > 0) out_.append(quote_depth_, '>');
      }
      line_start_ = true;
    }
    breaks_ = 0;
    if (out_.empty()) line_start_ = true;
    if (line_start_) {
      for (int i = 0; i < quote_depth_; ++i) out_ += "> ";
      space_ = false;
      line_start_ = false;
    }
    if (bullet_) {
      out_ += "- ";
      bullet_ = false;
      space_ = false;
    }
    if (space_) {
      out_ += ' ';
      space_ = false;
    }
    out_ += c;
  }

  std::string out_;
  int breaks_ = 0;
  int quote_depth_ = 0;
  int pre_depth_ = 0;
  bool space_ = false;
  bool line_start_ = true;
  bool bullet_ = false;
};

std::string_view asView(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}

std::string collectText(xmlNode* node) {
  std::string text;
  for (xmlNode* child = node->children; child != nullptr; child = child->next) {
    if (child->type == XML_TEXT_NODE) text += asView(child->content);
    if (child->type == XML_ELEMENT_NODE) text += collectText(child);
  }
  return text;
}

void walk(xmlNode* node, TextWriter& w);

void element(xmlNode* node, TextWriter& w) {
  const Kind kind = kindOf(asView(node->name));
  switch (kind) {
    case Kind::kSkip: return;
    case Kind::kBreak: w.hardBreak(); return;
    case Kind::kLine:
      w.lineBreak(1);
      walk(node->children, w);
      w.lineBreak(1);
      return;
    case Kind::kParagraph:
      w.lineBreak(2);
      walk(node->children, w);
      w.lineBreak(2);
      return;
    case Kind::kListItem:
      w.lineBreak(1);
      w.bullet();
      walk(node->children, w);
      w.lineBreak(1);
      return;
    case Kind::kCell:
      w.space();
      walk(node->children, w);
      w.space();
      return;
    case Kind::kQuote:
      w.lineBreak(1);
      w.enterQuote();
      walk(node->children, w);
      w.lineBreak(1);
      w.leaveQuote();
      return;
    case Kind::kPre:
      w.lineBreak(2);
      w.enterPre();
      walk(node->children, w);
      w.leavePre();
      w.lineBreak(2);
      return;
    case Kind::kInline: break;
  }
  walk(node->children, w);
  if (asView(node->name) == "a") {
    xmlChar* href = xmlGetProp(node, reinterpret_cast<const xmlChar*>("href"));
    std::string_view target = asView(href);
    if (target.rfind("http", 0) == 0 && target.size() <= kMaxLinkBytes &&
        collectText(node).find(target) == std::string::npos) {
      w.text(" <");
      w.text(target);
      w.text(">");
    }
    xmlFree(href);
  }
}

void walk(xmlNode* node, TextWriter& w) {
  for (; node != nullptr; node = node->next) {
    switch (node->type) {
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE: w.text(asView(node->content)); break;
      case XML_ELEMENT_NODE: element(node, w); break;
      default: break;  // comments, processing instructions, DTD
    }
  }
}

}  // namespace

std::string htmlToText(std::string_view html) {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });  // libxml2's globals, before any thread parses
  if (html.empty() || html.size() > static_cast<size_t>(INT_MAX)) return {};
  const std::string utf8 = sanitizeUtf8(html);
  htmlDocPtr doc =
      htmlReadMemory(utf8.data(), static_cast<int>(utf8.size()), nullptr, "UTF-8", kParseFlags);
  if (doc == nullptr) return {};
  TextWriter writer;
  walk(doc->children, writer);
  xmlFreeDoc(doc);
  return sanitizeUtf8(writer.finish());
}

}  // namespace switchboard::connectors::email
