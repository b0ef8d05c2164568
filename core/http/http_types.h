// Plain request/response values exchanged between the HTTP server and its handlers, so that
// handlers (connectors, APIs) never see Boost.Beast types.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as received: "/v1/chat/messages?x=1"
  std::string path;    // "/v1/chat/messages"
  std::string query;   // "x=1" (no '?'), raw, not decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names as received
  std::string body;
  std::string remote_address;

  // Case-insensitive header lookup; the last occurrence wins.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Retry-After ...)
};

// Completes a request. Call exactly once, from any thread; the server writes the response on
// the connection's own executor.
using Responder = std::function<void(Response)>;

// Handles one request. May answer at once or later (after a Kafka delivery report).
using Handler = std::function<void(Request&& request, Responder respond)>;

// A JSON error body: {"error":{"code":"<code>","message":"<message>"}}.
Response jsonError(int status, std::string_view code, std::string_view message);

}  // namespace switchboard::http
