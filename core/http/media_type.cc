#include "core/http/media_type.h"

#include <cctype>

namespace switchboard::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool isMediaType(std::optional<std::string_view> content_type, std::string_view expected) {
  if (!content_type) return false;
  std::string_view rest = *content_type;
  size_t semicolon = rest.find(';');
  if (!equalsIgnoreCase(trim(rest.substr(0, semicolon)), expected)) return false;
  while (semicolon != std::string_view::npos) {
    rest.remove_prefix(semicolon + 1);
    semicolon = rest.find(';');
    std::string_view param = trim(rest.substr(0, semicolon));
    size_t equals = param.find('=');
    if (equals == std::string_view::npos) continue;
    if (!equalsIgnoreCase(trim(param.substr(0, equals)), "charset")) continue;
    std::string_view charset = trim(param.substr(equals + 1));
    if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (!equalsIgnoreCase(charset, "utf-8") && !equalsIgnoreCase(charset, "utf8") &&
        !equalsIgnoreCase(charset, "us-ascii")) {
      return false;
    }
  }
  return true;
}

}  // namespace switchboard::http
