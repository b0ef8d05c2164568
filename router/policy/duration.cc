#include "router/policy/duration.h"

#include <array>
#include <cstdint>

namespace switchboard::policy {
namespace {

struct Unit {
  char symbol;
  int64_t seconds;
};
constexpr std::array<Unit, 4> kUnits = {{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

Error badDuration(std::string_view text, std::string_view why) {
  return makeError(Errc::kConfig, "bad duration \"" + std::string(text) +
                                      "\": " + std::string(why) +
                                      " (write e.g. \"90s\", \"2m\", \"24h\", \"1h30m\")");
}

}  // namespace

Result<Seconds> parseDuration(std::string_view text) {
  if (text.empty()) return badDuration(text, "empty");
  int64_t total = 0;
  size_t next_unit = 0;  // units must come largest first, each once
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return badDuration(text, "expected a digit");
    int64_t value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      if (value > kMaxDuration.count()) return badDuration(text, "too long");
      ++i;
    }
    if (i == text.size()) return badDuration(text, "missing unit d, h, m or s");
    size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u].symbol != text[i]) ++u;
    if (u == kUnits.size()) {
      return badDuration(text, "expected unit d, h, m or s, largest first and each once");
    }
    ++i;
    next_unit = u + 1;
    total += value * kUnits[u].seconds;
    if (total > kMaxDuration.count()) return badDuration(text, "too long");
  }
  return Seconds(total);
}

std::string formatDuration(Seconds d) {
  int64_t left = d.count();
  if (left <= 0) return "0s";
  std::string out;
  for (const Unit& unit : kUnits) {
    if (left >= unit.seconds) {
      out += std::to_string(left / unit.seconds);
      out += unit.symbol;
      left %= unit.seconds;
    }
  }
  return out;
}

}  // namespace switchboard::policy
