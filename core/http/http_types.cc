#include "core/http/http_types.h"

#include <boost/json.hpp>

namespace switchboard::http {
namespace {

char asciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (equalsIgnoreCase(it->first, name)) {
      return std::string_view(it->second);
    }
  }
  return std::nullopt;
}

Response jsonError(int status, std::string_view code, std::string_view message) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  boost::json::object root;
  root["error"] = std::move(error);
  Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = boost::json::serialize(root);
  return response;
}

}  // namespace switchboard::http
