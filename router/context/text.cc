#include "router/context/text.h"

#include <algorithm>
#include <array>

#include "core/fnv1a.h"

namespace switchboard::context {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view truncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  // Back off over continuation bytes (10xxxxxx): the cut then falls before a lead byte, i.e.
  // between two whole sequences.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string makeSnippet(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes + 1));
  bool pending_space = false;
  for (char c : trim(text)) {
    if (isSpace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
    // One byte beyond the limit tells truncateUtf8 whether the last sequence is whole.
    if (out.size() > max_bytes + 4) break;
  }
  out.resize(truncateUtf8(out, max_bytes).size());
  return out;
}

std::string makeSubject(std::string_view subject, size_t max_bytes) {
  static constexpr std::array<std::string_view, 3> kPrefixes = {"re:", "fwd:", "fw:"};
  std::string_view s = trim(subject);
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (std::string_view prefix : kPrefixes) {
      if (startsWithNoCase(s, prefix)) {
        s = trim(s.substr(prefix.size()));
        stripped = true;
      }
    }
  }
  return makeSnippet(s, max_bytes);
}

uint64_t threadKeyHash(std::string_view key) {
  key = trim(key);
  if (key.size() >= 2 && key.front() == '<' && key.back() == '>') {
    key = trim(key.substr(1, key.size() - 2));
  }
  if (key.empty()) return 0;
  const uint64_t hash = fnv1a64(key);
  return hash == 0 ? 1 : hash;  // 0 means "no key"
}

}  // namespace switchboard::context
