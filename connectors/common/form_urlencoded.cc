#include "connectors/common/form_urlencoded.h"

#include <algorithm>

namespace switchboard::connectors {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the decoded `component` to `out`; false on a bad escape.
bool decodeInto(std::string_view component, std::string& out) {
  out.reserve(out.size() + component.size());
  for (size_t i = 0; i < component.size(); ++i) {
    char c = component[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (component.size() - i < 3) return false;  // fewer than two characters follow
      int high = hexValue(component[i + 1]);
      int low = hexValue(component[i + 2]);
      if (high < 0 || low < 0) return false;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}

}  // namespace

bool isValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto byte = static_cast<unsigned char>(s[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned char min_second = 0x80;
    unsigned char max_second = 0xBF;
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      if (byte == 0xE0) min_second = 0xA0;  // overlong
      if (byte == 0xED) max_second = 0x9F;  // UTF-16 surrogates
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      if (byte == 0xF0) min_second = 0x90;  // overlong
      if (byte == 0xF4) max_second = 0x8F;  // above U+10FFFF
    } else {
      return false;  // continuation byte, overlong C0/C1, or F5..FF
    }
    if (s.size() - i < length) return false;
    auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < min_second || second > max_second) return false;
    for (size_t k = 2; k < length; ++k) {
      auto next = static_cast<unsigned char>(s[i + k]);
      if (next < 0x80 || next > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

std::optional<std::string> formUrldecode(std::string_view component) {
  std::string out;
  if (!decodeInto(component, out)) return std::nullopt;
  return out;
}

std::string formUrlencode(std::string_view component) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(component.size());
  for (char c : component) {
    auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' ||
        c == '-' || c == '.' || c == '_') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

Result<std::vector<FormField>> parseFormUrlencoded(std::string_view body) {
  std::vector<FormField> fields;
  size_t position = 0;  // 1-based index of the field, for messages
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view piece = body.substr(0, amp);
    body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
    if (piece.empty()) continue;
    ++position;
    size_t equals = piece.find('=');
    std::string_view name = piece.substr(0, equals);
    std::string_view value =
        equals == std::string_view::npos ? std::string_view() : piece.substr(equals + 1);
    FormField& field = fields.emplace_back();
    if (!decodeInto(name, field.name) || !decodeInto(value, field.value)) {
      return makeError(Errc::kMalformedInput, "field " + std::to_string(position) +
                                                  " has a '%' not followed by two hex digits");
    }
    if (!isValidUtf8(field.name) || !isValidUtf8(field.value)) {
      return makeError(Errc::kMalformedInput,
                       "field " + std::to_string(position) + " is not valid UTF-8");
    }
  }
  return fields;
}

std::optional<std::string_view> formValue(const std::vector<FormField>& fields,
                                          std::string_view name) {
  auto it = std::find_if(fields.begin(), fields.end(),
                         [name](const FormField& f) { return f.name == name; });
  if (it == fields.end()) return std::nullopt;
  return std::string_view(it->value);
}

size_t formCount(const std::vector<FormField>& fields, std::string_view name) {
  return static_cast<size_t>(std::count_if(fields.begin(), fields.end(),
                                           [name](const FormField& f) { return f.name == name; }));
}

}  // namespace switchboard::connectors
