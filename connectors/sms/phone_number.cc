#include "connectors/sms/phone_number.h"

namespace switchboard::connectors::sms {
namespace {

constexpr size_t kMinDigits = 8;
constexpr size_t kMaxDigits = 15;  // ITU-T E.164

bool isSeparator(char c) {
  return c == ' ' || c == '-' || c == '(' || c == ')' || c == '.';
}

}  // namespace

std::optional<std::string> normalizeE164(std::string_view raw) {
  std::string out;
  out.reserve(1 + kMaxDigits);
  bool seen_plus = false;
  for (char c : raw) {
    if (isSeparator(c)) continue;
    if (c == '+') {
      // Only as the first significant character.
      if (seen_plus || !out.empty()) return std::nullopt;
      seen_plus = true;
      out += c;
      continue;
    }
    if (c < '0' || c > '9' || !seen_plus) return std::nullopt;
    if (out.size() == 1 && c == '0') return std::nullopt;
    if (out.size() > kMaxDigits) return std::nullopt;  // stop early on long input
    out += c;
  }
  size_t digits = out.empty() ? 0 : out.size() - 1;
  if (digits < kMinDigits || digits > kMaxDigits) return std::nullopt;
  return out;
}

}  // namespace switchboard::connectors::sms
