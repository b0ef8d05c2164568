#include "core/http/response_head.h"

#include <charconv>
#include <ostream>  // Beast's header-only status.ipp streams a status
#include <string_view>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include "core/log.h"

namespace switchboard::http {
namespace {

constexpr std::string_view kLog = "http";
constexpr std::string_view kServerName = "switchboard";

// A header name is a token; a value must not smuggle a line break into the response.
bool validHeader(std::string_view name, std::string_view value) {
  if (name.empty()) {
    return false;
  }
  for (unsigned char c : name) {
    if (c <= ' ' || c >= 0x7f || c == ':') {
      return false;
    }
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool isFramingHeader(std::string_view name) {
  using boost::beast::iequals;
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
         iequals(name, "Connection");
}

void appendNumber(std::string& out, size_t n) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

void formatResponseHead(const Response& answer, unsigned version, bool keep_alive,
                        std::string& out) {
  namespace beast_http = boost::beast::http;
  using boost::beast::iequals;
  const auto status = static_cast<unsigned>(answer.status);
  out.clear();
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  appendNumber(out, status);
  out.push_back(' ');
  const boost::beast::string_view reason =
      beast_http::obsolete_reason(beast_http::int_to_status(status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");

  bool has_content_type = false;
  bool has_server = false;
  for (const auto& [name, value] : answer.headers) {
    if (!validHeader(name, value)) {
      log::warn(kLog, "dropping invalid response header '" + name + "'");
      continue;
    }
    if (isFramingHeader(name)) {
      continue;
    }
    has_content_type = has_content_type || iequals(name, "Content-Type");
    has_server = has_server || iequals(name, "Server");
    appendField(out, name, value);
  }
  if (!has_content_type && !answer.content_type.empty() &&
      validHeader("Content-Type", answer.content_type)) {
    appendField(out, "Content-Type", answer.content_type);
  }
  if (!has_server) {
    appendField(out, "Server", kServerName);
  }
  if (answer.status != 204 && answer.status != 304) {
    out.append("Content-Length: ");
    appendNumber(out, answer.body.size());
    out.append("\r\n");
  }
  if (version >= 11 && !keep_alive) {
    out.append("Connection: close\r\n");
  } else if (version < 11 && keep_alive) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

}  // namespace switchboard::http
