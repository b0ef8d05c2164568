#include "connectors/email/utf8_text.h"

#include <cstdint>

namespace switchboard::connectors::email {
namespace {

// Length of the well-formed sequence starting at s[i], or 0 when it is ill-formed; `bad` then
// gets the length of the maximal ill-formed subpart to replace by one U+FFFD (at least 1).
size_t sequenceLength(std::string_view s, size_t i, size_t& bad) {
  auto at = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t lead = at(i);
  bad = 1;
  if (lead < 0x80) return 1;
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte (Unicode Table 3-7)
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (size_t k = 1; k < need; ++k) {
    if (i + k >= s.size()) {
      bad = k;
      return 0;
    }
    const uint8_t b = at(i + k);
    const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      bad = k;
      return 0;
    }
  }
  return need;
}

}  // namespace

bool isValidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    // ASCII runs are the common case: skip them eight bytes at a time.
    while (i + 8 <= bytes.size()) {
      uint64_t word;
      __builtin_memcpy(&word, bytes.data() + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= bytes.size()) break;
    size_t bad;
    size_t n = sequenceLength(bytes, i, bad);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string sanitizeUtf8(std::string_view bytes) {
  if (isValidUtf8(bytes) && bytes.find('\0') == std::string_view::npos) {
    return std::string(bytes);
  }
  std::string out;
  out.reserve(bytes.size() + 8);
  size_t i = 0;
  while (i < bytes.size()) {
    size_t bad;
    size_t n = sequenceLength(bytes, i, bad);
    if (n == 0) {
      out += kReplacementCharacter;
      i += bad;
    } else {
      if (!(n == 1 && bytes[i] == '\0')) out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool truncateCodePoints(std::string& text, size_t max_code_points) {
  if (text.size() <= max_code_points) return false;  // bytes bound code points
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<uint8_t>(text[i]) & 0xC0) == 0x80) continue;
    if (count == max_code_points) {
      text.resize(i);
      return true;
    }
    ++count;
  }
  return false;
}

bool truncateBytes(std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return false;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<uint8_t>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return true;
}

std::string_view trimSpace(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

}  // namespace switchboard::connectors::email
