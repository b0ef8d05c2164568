// splitQuotedHistory(): where a reply's quoted history starts, from the shapes mail clients
// write (plain text, or HTML reduced by htmlToText(), whose blockquotes become "> " lines):
//   Gmail, Apple Mail, Thunderbird  "On <date>, <name> <addr> wrote:" then "> " lines (Gmail
//                                    wraps a long attribution over two lines)
//   Outlook                          "-----Original Message-----", or a line of underscores,
//                                    or no separator at all, before "From: ...", "Sent: ..."
//   anything else                    a trailing block of "> " lines
// The earliest marker wins. When nothing but white space comes before it, the message is kept
// whole as new text: a reply that only quotes is still something the customer sent.
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/email/email_normalizer.h"
#include "connectors/email/utf8_text.h"

namespace switchboard::connectors::email {
namespace {

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool containsNoCase(std::string_view s, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (startsWithNoCase(s.substr(i), needle)) return true;
  }
  return false;
}

// Attribution lines: "On ... wrote:" and its translations in the languages clients ship.
constexpr std::array<std::string_view, 7> kAttributionStarts = {"On ", "Am ", "Le ", "El ",
                                                                "Em ", "Il ", "Op "};
constexpr std::array<std::string_view, 8> kAttributionVerbs = {
    "wrote", "schrieb", "a écrit", "escribió", "escreveu", "ha scritto", "schreef", "написал"};

// Ends with ':' and names the act of writing ("... wrote:", German "... schrieb Bo <bo@x.de>:").
bool endsAttribution(std::string_view line) {
  if (line.empty() || line.back() != ':') return false;
  for (std::string_view verb : kAttributionVerbs) {
    if (line.find(verb) != std::string_view::npos) return true;
  }
  return false;
}

bool startsAttribution(std::string_view line) {
  for (std::string_view start : kAttributionStarts) {
    if (line.rfind(start, 0) == 0) return true;
  }
  return false;
}

// Outlook's separator lines, in English and the most common translations.
bool isOriginalMessageLine(std::string_view line) {
  if (line.rfind("---", 0) != 0 || !endsWith(line, "---")) return false;
  return containsNoCase(line, "original message") ||
         containsNoCase(line, "ursprüngliche nachricht") ||
         containsNoCase(line, "message d'origine") || containsNoCase(line, "mensaje original") ||
         containsNoCase(line, "mensagem original") || containsNoCase(line, "messaggio originale");
}

bool isUnderscoreRule(std::string_view line) {
  return line.size() >= 10 && line.find_first_not_of('_') == std::string_view::npos;
}

bool isQuoted(std::string_view line) {
  return !line.empty() && line.front() == '>';
}

// The header block Outlook puts above the quoted mail: "From:" then "Sent:" (or "Date:"),
// and a "To:" or "Subject:" within the next few lines.
bool startsHeaderBlock(const std::vector<std::string_view>& lines, size_t i) {
  if (!startsWithNoCase(lines[i], "From:")) return false;
  if (i + 1 >= lines.size()) return false;
  if (!startsWithNoCase(lines[i + 1], "Sent:") && !startsWithNoCase(lines[i + 1], "Date:")) {
    return false;
  }
  for (size_t k = i + 2; k < lines.size() && k < i + 6; ++k) {
    if (startsWithNoCase(lines[k], "To:") || startsWithNoCase(lines[k], "Subject:")) return true;
  }
  return false;
}

size_t nextNonBlank(const std::vector<std::string_view>& lines, size_t i) {
  while (i < lines.size() && lines[i].empty()) ++i;
  return i;
}

// Index of the first line of the quoted history, or lines.size() when there is none.
size_t historyStart(const std::vector<std::string_view>& lines) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (startsAttribution(line)) {
      if (endsAttribution(line)) return i;
      // Wrapped: "On Mon, 6 May 2024 at 10:00, Ana Lima <ana@example.com>" / "wrote:".
      if (i + 1 < lines.size() && lines[i + 1].size() < 80 && endsAttribution(lines[i + 1])) {
        return i;
      }
    }
    if (isOriginalMessageLine(line)) return i;
    if (isUnderscoreRule(line)) {
      size_t next = nextNonBlank(lines, i + 1);
      if (next < lines.size() && startsWithNoCase(lines[next], "From:")) return i;
    }
    if (startsHeaderBlock(lines, i)) return i;
  }
  // A trailing block of quoted lines (blank lines inside it included).
  size_t end = lines.size();
  while (end > 0 && lines[end - 1].empty()) --end;
  if (end == 0 || !isQuoted(lines[end - 1])) return lines.size();
  size_t start = end - 1;
  while (start > 0 && (isQuoted(lines[start - 1]) || lines[start - 1].empty())) --start;
  return nextNonBlank(lines, start);
}

}  // namespace

SplitReply splitQuotedHistory(std::string_view text) {
  size_t line_count = 1;  // the vectors below are sized once
  for (size_t at = text.find('\n'); at != std::string_view::npos; at = text.find('\n', at + 1)) {
    ++line_count;
  }
  std::vector<std::string_view> lines;  // trimmed of trailing white space
  std::vector<size_t> offsets;
  lines.reserve(line_count);
  offsets.reserve(line_count);
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    size_t last = line.find_last_not_of(" \t\r");
    lines.push_back(line.substr(0, last == std::string_view::npos ? 0 : last + 1));
    offsets.push_back(start);
    start = end + 1;
  }
  // Leading white space of lines does not matter to the markers above.
  std::vector<std::string_view> stripped(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t first = lines[i].find_first_not_of(" \t");
    stripped[i] = first == std::string_view::npos ? std::string_view() : lines[i].substr(first);
  }

  SplitReply split;
  const size_t cut = historyStart(stripped);
  std::string_view new_text = cut < lines.size() ? text.substr(0, offsets[cut]) : text;
  if (cut >= lines.size() || trimSpace(new_text).empty()) {
    split.new_text = std::string(trimSpace(text));
    return split;
  }
  split.new_text = std::string(trimSpace(new_text));
  split.quoted_history = std::string(trimSpace(text.substr(offsets[cut])));
  return split;
}

}  // namespace switchboard::connectors::email
