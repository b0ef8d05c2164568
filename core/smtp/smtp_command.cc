#include "core/smtp/smtp_command.h"

#include <array>
#include <cstdint>

namespace switchboard::smtp {
namespace {

// RFC 5321 4.5.3.1.3: a path is at most 256 octets including the angle brackets.
constexpr size_t kMaxPathBytes = 256;

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper(b[i])) {
      return false;
    }
  }
  return true;
}

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trimBlanks(std::string_view s) {
  while (!s.empty() && isBlank(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isBlank(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

struct VerbName {
  std::string_view name;
  Verb verb;
};

constexpr std::array<VerbName, 19> kVerbs = {{
    {"HELO", Verb::kHelo},
    {"EHLO", Verb::kEhlo},
    {"LHLO", Verb::kLhlo},
    {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt},
    {"DATA", Verb::kData},
    {"RSET", Verb::kRset},
    {"NOOP", Verb::kNoop},
    {"QUIT", Verb::kQuit},
    {"VRFY", Verb::kVrfy},
    {"HELP", Verb::kHelp},
    {"AUTH", Verb::kNotImplemented},
    {"STARTTLS", Verb::kNotImplemented},
    {"BDAT", Verb::kNotImplemented},
    {"EXPN", Verb::kNotImplemented},
    {"TURN", Verb::kNotImplemented},
    {"ETRN", Verb::kNotImplemented},
    {"ATRN", Verb::kNotImplemented},
    {"SEND", Verb::kNotImplemented},
}};

Error syntaxError(std::string message) {
  return makeError(Errc::kMalformedInput, std::move(message));
}

// Checks what is left of a path once brackets and source route are gone.
Status validateAddress(std::string_view address) {
  bool quoted = false;
  for (size_t i = 0; i < address.size(); ++i) {
    const char c = address[i];
    if (isControl(c)) {
      return syntaxError("control character in address");
    }
    if (quoted && c == '\\') {
      ++i;  // quoted-pair: the next character is taken literally
      continue;
    }
    if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && (isBlank(c) || c == '<' || c == '>')) {
      return syntaxError("unexpected character in address");
    }
  }
  if (quoted) {
    return syntaxError("unterminated quoted string in address");
  }
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) {
    // RFC 5321 4.5.1: "Postmaster" without a domain must be accepted as a recipient.
    if (!equalsIgnoreCase(address, "postmaster")) {
      return syntaxError("address must be local-part@domain");
    }
  } else if (at == 0 || at + 1 == address.size()) {
    return syntaxError("address must be local-part@domain");
  }
  return okStatus();
}

Result<std::vector<Parameter>> parseParameters(std::string_view rest) {
  std::vector<Parameter> parameters;
  while (true) {
    rest = trimBlanks(rest);
    if (rest.empty()) {
      break;
    }
    size_t end = 0;
    while (end < rest.size() && !isBlank(rest[end])) {
      ++end;
    }
    const std::string_view token = rest.substr(0, end);
    rest.remove_prefix(end);
    const size_t eq = token.find('=');
    const std::string_view keyword = token.substr(0, eq);
    if (keyword.empty() || !isAlnum(keyword.front())) {
      return syntaxError("malformed parameter");
    }
    for (char c : keyword) {
      if (!isAlnum(c) && c != '-') {
        return syntaxError("malformed parameter keyword");
      }
    }
    Parameter parameter;
    parameter.keyword.reserve(keyword.size());
    for (char c : keyword) {
      parameter.keyword += upper(c);
    }
    if (eq != std::string_view::npos) {
      parameter.value = token.substr(eq + 1);
      if (parameter.value.empty()) {
        return syntaxError("parameter " + parameter.keyword + " has an empty value");
      }
      for (char c : parameter.value) {
        if (c == '=' || isControl(c)) {
          return syntaxError("malformed value of parameter " + parameter.keyword);
        }
      }
    }
    parameters.push_back(std::move(parameter));
  }
  return parameters;
}

}  // namespace

Command parseCommand(std::string_view line) {
  Command command;
  size_t end = 0;
  while (end < line.size() && !isBlank(line[end])) {
    ++end;
  }
  command.name = line.substr(0, end);
  command.argument = trimBlanks(line.substr(end));
  for (const VerbName& known : kVerbs) {
    if (equalsIgnoreCase(command.name, known.name)) {
      command.verb = known.verb;
      break;
    }
  }
  return command;
}

Result<PathArgument> parsePathArgument(std::string_view argument, std::string_view prefix,
                                       bool allow_null_path) {
  if (argument.size() < prefix.size() ||
      !equalsIgnoreCase(argument.substr(0, prefix.size()), prefix)) {
    return syntaxError("expected " + std::string(prefix) + "<address>");
  }
  std::string_view rest = argument.substr(prefix.size());
  while (!rest.empty() && isBlank(rest.front())) {
    rest.remove_prefix(1);
  }
  PathArgument result;
  std::string_view path;
  if (!rest.empty() && rest.front() == '<') {
    // Find the closing bracket, skipping quoted strings (a quoted local part may hold '>').
    bool quoted = false;
    size_t close = std::string_view::npos;
    for (size_t i = 1; i < rest.size(); ++i) {
      const char c = rest[i];
      if (quoted && c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && c == '>') {
        close = i;
        break;
      }
    }
    if (close == std::string_view::npos) {
      return syntaxError("missing '>' after address");
    }
    path = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !isBlank(rest.front())) {
      return syntaxError("unexpected text after '>'");
    }
    if (close + 1 > kMaxPathBytes) {
      return syntaxError("path longer than 256 octets");
    }
  } else {
    size_t end = 0;
    while (end < rest.size() && !isBlank(rest[end])) {
      ++end;
    }
    path = rest.substr(0, end);
    rest.remove_prefix(end);
    if (path.empty()) {
      return syntaxError("expected " + std::string(prefix) + "<address>");
    }
    if (path.size() + 2 > kMaxPathBytes) {
      return syntaxError("path longer than 256 octets");
    }
  }
  // An obsolete source route "@relay1,@relay2:user@domain" must be accepted and ignored
  // (RFC 5321 section 4.1.2 and appendix C).
  if (!path.empty() && path.front() == '@') {
    const size_t colon = path.find(':');
    if (colon == std::string_view::npos) {
      return syntaxError("malformed source route");
    }
    path.remove_prefix(colon + 1);
    if (path.empty()) {
      return syntaxError("malformed source route");
    }
  }
  if (path.empty()) {
    if (!allow_null_path) {
      return syntaxError("the null path <> is not allowed here");
    }
  } else {
    SB_RETURN_IF_ERROR(validateAddress(path));
  }
  result.address = path;
  SB_ASSIGN_OR_RETURN(result.parameters, parseParameters(rest));
  return result;
}

Result<uint64_t> parseSizeValue(std::string_view value) {
  if (value.empty() || value.size() > 19) {
    return syntaxError("SIZE wants a decimal number");
  }
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') {
      return syntaxError("SIZE wants a decimal number");
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace switchboard::smtp
