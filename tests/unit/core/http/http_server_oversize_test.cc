// Requests over max_body_bytes on a route with an OversizeHandler: the handler gets the
// header, the first keep_bytes of the body and the body's size, and its answer goes out
// before the connection closes. Real HttpServer on 127.0.0.1:0, raw TCP client.
#include <array>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "core/http/http_server.h"

namespace switchboard::http {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::chrono::seconds kTimeout{10};
constexpr size_t kMaxBody = 1024;
constexpr size_t kKeep = 100;

struct Oversized {
  Request request;
  size_t body_bytes = 0;
};

// A body whose every prefix is recognisable: "0123456789012...".
std::string digits(size_t n) {
  std::string s(n, '0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('0' + i % 10);
  return s;
}

class HttpServerOversizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.max_body_bytes = kMaxBody;
    server_ = std::make_unique<HttpServer>(options);
    server_->route("POST", "/upload", [this](Request&&, Responder respond) {
      std::lock_guard lock(mu_);
      ++normal_calls_;
      respond(Response{.status = 200, .body = "{}"});
    });
    server_->onOversize("POST", "/upload", kKeep,
                        [this](Request&& request, size_t body_bytes, Responder respond) {
                          {
                            std::lock_guard lock(mu_);
                            seen_ = Oversized{std::move(request), body_bytes};
                            cv_.notify_all();
                          }
                          respond(jsonError(413, "body_too_large", "too big"));
                        });
    server_->route("POST", "/plain", [](Request&&, Responder respond) {
      respond(Response{.status = 200, .body = "{}"});
    });
    ASSERT_TRUE(server_->start().has_value());
  }

  void TearDown() override { server_->stop(); }

  // Sends raw bytes, reads one response; also reports whether the server then closed.
  beast_http::response<beast_http::string_body> exchange(const std::string& bytes,
                                                         bool* closed = nullptr) {
    asio::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    error_code ignored;
    asio::write(socket, asio::buffer(bytes), ignored);
    boost::beast::flat_buffer buffer;
    beast_http::response<beast_http::string_body> response;
    std::optional<error_code> result;
    beast_http::async_read(socket, buffer, response,
                           [&](const error_code& ec, size_t) { result = ec; });
    ioc.run_for(kTimeout);
    EXPECT_TRUE(result.has_value() && !*result);
    if (closed != nullptr) {
      std::array<char, 64> scratch;
      std::optional<error_code> eof;
      socket.async_read_some(asio::buffer(scratch),
                             [&](const error_code& ec, size_t) { eof = ec; });
      ioc.restart();
      ioc.run_for(kTimeout);
      *closed = eof && (*eof == asio::error::eof || *eof == asio::error::connection_reset);
    }
    return response;
  }

  std::optional<Oversized> awaitSeen() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kTimeout, [&] { return seen_.has_value(); });
    return seen_;
  }

  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Oversized> seen_;
  int normal_calls_ = 0;
};

TEST_F(HttpServerOversizeTest, DeclaredLengthOverTheLimitGoesToTheOversizeHandler) {
  const std::string body = digits(64 << 10);
  bool closed = false;
  auto response = exchange(
      "POST /upload?x=1 HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "User-Agent: uploader/2\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body,
      &closed);
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(response.body(), R"({"error":{"code":"body_too_large","message":"too big"}})");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(closed);

  std::optional<Oversized> seen = awaitSeen();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->body_bytes, body.size());
  EXPECT_EQ(seen->request.body, body.substr(0, kKeep));
  EXPECT_EQ(seen->request.method, "POST");
  EXPECT_EQ(seen->request.path, "/upload");
  EXPECT_EQ(seen->request.query, "x=1");
  EXPECT_EQ(seen->request.header("User-Agent"), "uploader/2");
  EXPECT_EQ(seen->request.remote_address, "127.0.0.1");
  std::lock_guard lock(mu_);
  EXPECT_EQ(normal_calls_, 0);
}

TEST_F(HttpServerOversizeTest, ChunkedBodyCrossingTheLimitGoesToTheOversizeHandler) {
  const std::string body = digits(4 * 512);
  std::string request = "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t offset = 0; offset < body.size(); offset += 512) {
    request += "200\r\n" + body.substr(offset, 512) + "\r\n";
  }
  request += "0\r\n\r\n";
  auto response = exchange(request);
  EXPECT_EQ(response.result_int(), 413);

  std::optional<Oversized> seen = awaitSeen();
  ASSERT_TRUE(seen.has_value());
  EXPECT_GT(seen->body_bytes, kMaxBody);
  EXPECT_EQ(seen->request.body, body.substr(0, kKeep));
}

TEST_F(HttpServerOversizeTest, BodiesWithinTheLimitAndOtherRoutesAreUnaffected) {
  const std::string body = digits(kMaxBody);
  auto ok = exchange("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(ok.result_int(), 200);

  const std::string big = digits(kMaxBody + 1);
  auto plain =
      exchange("POST /plain HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(big.size()) +
               "\r\n\r\n" + big);
  EXPECT_EQ(plain.result_int(), 413);  // the server's own answer: no handler claimed it
  EXPECT_NE(plain.body().find("too_large"), std::string::npos);
  std::lock_guard lock(mu_);
  EXPECT_FALSE(seen_.has_value());
  EXPECT_EQ(normal_calls_, 1);
}

}  // namespace
}  // namespace switchboard::http
