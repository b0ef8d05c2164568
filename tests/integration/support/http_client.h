// A small synchronous HTTP/1.1 client (Boost.Beast) for integration tests: one connection per
// call, "Connection: close", a deadline over the whole exchange. Thread-safe (no shared state).
//
//   auto r = HttpClient::post("127.0.0.1", port, "/v1/chat/messages", R"({"text":"hi"})");
//   ASSERT_TRUE(r.has_value()) << r.error().describe();
//   EXPECT_EQ(r->status, 202);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace switchboard::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names as the server sent them
  std::string body;

  // Case-insensitive; the last occurrence wins.
  std::optional<std::string> header(std::string_view name) const;
};

class HttpClient {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{10000};

  // POST with `body`. Content-Type defaults to application/json unless `headers` sets one.
  static Result<HttpResponse> post(std::string_view host, uint16_t port, std::string_view path,
                                   std::string_view body, const HttpHeaders& headers = {},
                                   std::chrono::milliseconds timeout = kDefaultTimeout);

  static Result<HttpResponse> get(std::string_view host, uint16_t port, std::string_view path,
                                  const HttpHeaders& headers = {},
                                  std::chrono::milliseconds timeout = kDefaultTimeout);

  // Any method; sends exactly `headers` (plus Host, Content-Length and Connection: close).
  // Fails with kIo (connection trouble) or kTimeout; any HTTP status is a success here.
  static Result<HttpResponse> request(std::string_view method, std::string_view host, uint16_t port,
                                      std::string_view target, std::string_view body,
                                      const HttpHeaders& headers,
                                      std::chrono::milliseconds timeout = kDefaultTimeout);
};

}  // namespace switchboard::testing
