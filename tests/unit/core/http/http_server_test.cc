// Starts a real HttpServer on 127.0.0.1:0 and talks to it over TCP with a small Beast client.
#include "core/http/http_server.h"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "core/metrics/metrics_registry.h"

namespace switchboard::http {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using ClientResponse = beast_http::response<beast_http::string_body>;

// Bounds every client wait, so a server bug fails the test instead of hanging it.
constexpr std::chrono::seconds kClientTimeout{10};

// A synchronous HTTP/1.1 client over one connection. Reads run on a private io_context with
// a deadline (Asio's blocking reads ignore SO_RCVTIMEO).
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  void send(beast_http::request<beast_http::string_body> request) {
    request.prepare_payload();
    beast_http::write(socket_, request);
  }

  void sendRaw(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The next response, or the error that ended the connection.
  std::optional<ClientResponse> read(error_code* error = nullptr) {
    ClientResponse response;
    beast_http::response_parser<beast_http::string_body> parser;
    parser.body_limit(64 << 20);
    std::optional<error_code> result;
    beast_http::async_read(socket_, buffer_, parser,
                           [&](const error_code& ec, size_t) { result = ec; });
    runUntil(result);
    if (error != nullptr) {
      *error = *result;
    }
    if (*result) {
      return std::nullopt;
    }
    return parser.release();
  }

  ClientResponse roundTrip(beast_http::verb verb, std::string target, std::string body = "") {
    beast_http::request<beast_http::string_body> request(verb, target, 11);
    request.set(beast_http::field::host, "127.0.0.1");
    request.body() = std::move(body);
    send(std::move(request));
    error_code ec;
    auto response = read(&ec);
    EXPECT_TRUE(response.has_value()) << ec.message();
    return response ? std::move(*response) : ClientResponse{};
  }

  // True once the server has closed the connection (EOF or reset), without any more data.
  bool closedByServer() {
    std::array<char, 256> scratch;
    std::optional<error_code> result;
    socket_.async_read_some(asio::buffer(scratch),
                            [&](const error_code& ec, size_t) { result = ec; });
    runUntil(result);
    return *result == asio::error::eof || *result == asio::error::connection_reset;
  }

 private:
  void runUntil(std::optional<error_code>& result) {
    ioc_.restart();
    ioc_.run_for(kClientTimeout);
    if (!result) {
      error_code ignored;
      socket_.cancel(ignored);
      ioc_.restart();
      ioc_.run();
    }
  }

  asio::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

bool canConnect(uint16_t port) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  return !ec;
}

// Hands a value from a server thread to the test thread.
template <typename T>
class Mailbox {
 public:
  void put(T value) {
    std::lock_guard lock(mu_);
    value_ = std::move(value);
    cv_.notify_all();
  }
  T take() {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, kClientTimeout, [&] { return value_.has_value(); }));
    T value = value_ ? std::move(*value_) : T{};
    value_.reset();
    return value;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> value_;
};

Response textResponse(std::string body) {
  Response response;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

std::string errorCodeOf(const ClientResponse& response) {
  boost::json::value body = boost::json::parse(response.body());
  return std::string(body.at("error").at("code").as_string());
}

ServerOptions localOptions() {
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  return options;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void startServer(ServerOptions options = localOptions()) {
    server_ = std::make_unique<HttpServer>(std::move(options), &probe_);
    for (auto& [method, path, handler] : routes_) {
      server_->route(method, path, handler);
    }
    Status started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().describe();
    ASSERT_NE(server_->port(), 0);
  }

  void route(std::string method, std::string path, Handler handler) {
    routes_.push_back({std::move(method), std::move(path), std::move(handler)});
  }

  struct RouteSpec {
    std::string method;
    std::string path;
    Handler handler;
  };
  // The server's refusal counter for `reason`, from the rendered registry (0 when absent).
  double refused(std::string_view reason) const {
    const std::string series =
        "switchboard_http_refused_total{reason=\"" + std::string(reason) + "\"} ";
    const std::string text = metrics_.render();
    const size_t at = text.find(series);
    return at == std::string::npos ? 0 : std::stod(text.substr(at + series.size()));
  }

  std::vector<RouteSpec> routes_;
  metrics::MetricsRegistry metrics_;
  HttpProbe probe_{metrics_};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersExactRouteWithRequestDetails) {
  Mailbox<Request> seen;
  route("POST", "/v1/echo", [&](Request&& request, Responder respond) {
    Response response = textResponse("got " + request.body);
    response.status = 202;
    response.headers.emplace_back("X-Trace", "abc");
    seen.put(std::move(request));
    respond(std::move(response));
  });
  startServer();

  Client client(server_->port());
  beast_http::request<beast_http::string_body> request(beast_http::verb::post, "/v1/echo?a=1&b=2",
                                                       11);
  request.set(beast_http::field::host, "127.0.0.1");
  request.set("X-Custom", "first");
  request.insert("x-custom", "second");
  request.body() = "hello";
  client.send(std::move(request));
  auto response = client.read();

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 202);
  EXPECT_EQ(response->body(), "got hello");
  EXPECT_EQ((*response)[beast_http::field::content_type], "text/plain");
  EXPECT_EQ((*response)[beast_http::field::server], "switchboard");
  EXPECT_EQ((*response)[beast_http::field::content_length], "9");
  EXPECT_EQ((*response)["X-Trace"], "abc");

  Request got = seen.take();
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/v1/echo?a=1&b=2");
  EXPECT_EQ(got.path, "/v1/echo");
  EXPECT_EQ(got.query, "a=1&b=2");
  EXPECT_EQ(got.body, "hello");
  EXPECT_EQ(got.remote_address, "127.0.0.1");
  EXPECT_EQ(got.header("HOST"), "127.0.0.1");
  EXPECT_EQ(got.header("X-CUSTOM"), "second");  // the last occurrence wins
  EXPECT_EQ(got.header("missing"), std::nullopt);
  size_t custom_headers = 0;
  for (const auto& [name, value] : got.headers) {
    custom_headers += (name == "X-Custom" || name == "x-custom") ? 1 : 0;
  }
  EXPECT_EQ(custom_headers, 2u);  // every header is kept, names as received
}

TEST_F(HttpServerTest, PrefixRouteMatchesLongestPrefix) {
  route("GET", "/static/", [](Request&& request, Responder respond) {
    respond(textResponse("static " + request.path));
  });
  route("GET", "/static/img/",
        [](Request&& request, Responder respond) { respond(textResponse("img " + request.path)); });
  route("GET", "/static/img/logo",
        [](Request&&, Responder respond) { respond(textResponse("exact")); });
  startServer();

  Client client(server_->port());
  EXPECT_EQ(client.roundTrip(beast_http::verb::get, "/static/a.css").body(),
            "static /static/a.css");
  EXPECT_EQ(client.roundTrip(beast_http::verb::get, "/static/img/x.png?v=2").body(),
            "img /static/img/x.png");
  EXPECT_EQ(client.roundTrip(beast_http::verb::get, "/static/img/logo").body(), "exact");
  EXPECT_EQ(client.roundTrip(beast_http::verb::get, "/static/").body(), "static /static/");
  EXPECT_EQ(client.roundTrip(beast_http::verb::get, "/static").result_int(), 404);
}

TEST_F(HttpServerTest, UnknownPathIs404JsonError) {
  route("GET", "/healthz", [](Request&&, Responder respond) { respond(textResponse("ok")); });
  startServer();

  Client client(server_->port());
  ClientResponse response = client.roundTrip(beast_http::verb::get, "/nope");
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(response[beast_http::field::content_type], "application/json");
  EXPECT_EQ(errorCodeOf(response), "not_found");
  // The connection stays usable after a 404.
  EXPECT_EQ(client.roundTrip(beast_http::verb::get, "/healthz").result_int(), 200);
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  const auto ok = [](Request&&, Responder respond) { respond(textResponse("ok")); };
  route("POST", "/v1/messages", ok);
  route("PUT", "/v1/messages", ok);
  startServer();

  Client client(server_->port());
  ClientResponse response = client.roundTrip(beast_http::verb::get, "/v1/messages");
  EXPECT_EQ(response.result_int(), 405);
  EXPECT_EQ(response[beast_http::field::allow], "POST, PUT");
  EXPECT_EQ(errorCodeOf(response), "method_not_allowed");
}

TEST_F(HttpServerTest, OversizedBodyIs413AndCloses) {
  std::atomic<bool> handler_called{false};
  route("POST", "/upload", [&](Request&&, Responder respond) {
    handler_called = true;
    respond(textResponse("ok"));
  });
  ServerOptions options = localOptions();
  options.max_body_bytes = 1024;
  startServer(options);

  Client client(server_->port());
  ClientResponse response =
      client.roundTrip(beast_http::verb::post, "/upload", std::string(64 * 1024, 'x'));
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(errorCodeOf(response), "too_large");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.closedByServer());
  EXPECT_FALSE(handler_called);
  EXPECT_EQ(refused("body_too_large"), 1);
}

TEST_F(HttpServerTest, BodyAtTheLimitIsAccepted) {
  route("POST", "/upload", [](Request&& request, Responder respond) {
    respond(textResponse(std::to_string(request.body.size())));
  });
  ServerOptions options = localOptions();
  options.max_body_bytes = 1024;
  startServer(options);

  Client client(server_->port());
  EXPECT_EQ(client.roundTrip(beast_http::verb::post, "/upload", std::string(1024, 'x')).body(),
            "1024");
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  route("GET", "/", [](Request&&, Responder respond) { respond(textResponse("ok")); });
  ServerOptions options = localOptions();
  options.max_header_bytes = 1024;
  startServer(options);

  Client client(server_->port());
  beast_http::request<beast_http::string_body> request(beast_http::verb::get, "/", 11);
  request.set("X-Big", std::string(4096, 'h'));
  client.send(std::move(request));
  auto response = client.read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 431);
  EXPECT_EQ(errorCodeOf(*response), "too_large");
  EXPECT_EQ(refused("header_too_large"), 1);
}

// Header fields in one request are limited by count too, not only by bytes: a request with
// many tiny fields stays under max_header_bytes but costs a parse and a copy per field.
TEST_F(HttpServerTest, TooManyHeaderFieldsAre431AndAtTheLimitIsAccepted) {
  std::atomic<int> handled{0};
  route("GET", "/", [&](Request&& request, Responder respond) {
    ++handled;
    respond(textResponse(std::to_string(request.headers.size())));
  });
  ServerOptions options = localOptions();
  options.max_header_fields = 10;
  startServer(options);

  const auto request_with = [](int fields) {
    std::string request = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 1; i < fields; ++i) {
      request += "X-F" + std::to_string(i) + ": v\r\n";
    }
    return request + "\r\n";
  };
  Client at_limit(server_->port());
  at_limit.sendRaw(request_with(10));
  auto accepted = at_limit.read();
  ASSERT_TRUE(accepted.has_value());
  EXPECT_EQ(accepted->result_int(), 200);
  EXPECT_EQ(accepted->body(), "10");

  Client over(server_->port());
  over.sendRaw(request_with(11));
  auto response = over.read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 431);
  EXPECT_EQ(errorCodeOf(*response), "too_large");
  boost::json::value body = boost::json::parse(response->body());
  EXPECT_EQ(body.at("error").at("message").as_string(), "request has more than 10 header fields");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_TRUE(over.closedByServer());
  EXPECT_EQ(handled.load(), 1);
  EXPECT_EQ(refused("too_many_header_fields"), 1);
}

// One connection over max_connections is answered 503 with Retry-After and closed without
// being read; the connections already open keep working.
TEST_F(HttpServerTest, ConnectionOverTheLimitGets503AndIsClosed) {
  route("GET", "/", [](Request&&, Responder respond) { respond(textResponse("ok")); });
  ServerOptions options = localOptions();
  options.max_connections = 1;
  startServer(options);

  Client first(server_->port());
  EXPECT_EQ(first.roundTrip(beast_http::verb::get, "/").result_int(), 200);  // registered
  Client second(server_->port());
  auto refused_answer = second.read();
  ASSERT_TRUE(refused_answer.has_value());
  EXPECT_EQ(refused_answer->result_int(), 503);
  EXPECT_EQ((*refused_answer)[beast_http::field::retry_after], "1");
  EXPECT_EQ(errorCodeOf(*refused_answer), "unavailable");
  EXPECT_TRUE(second.closedByServer());
  EXPECT_EQ(first.roundTrip(beast_http::verb::get, "/").result_int(), 200);
  EXPECT_EQ(refused("too_many_connections"), 1);
}

TEST_F(HttpServerTest, MalformedRequestIs400AndCloses) {
  startServer();

  Client client(server_->port());
  client.sendRaw("THIS IS NOT HTTP\r\n\r\n");
  auto response = client.read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 400);
  EXPECT_EQ(errorCodeOf(*response), "malformed_input");
  EXPECT_TRUE(client.closedByServer());
  EXPECT_EQ(refused("malformed"), 1);
}

TEST_F(HttpServerTest, IncompleteRequestTimesOutWith408) {
  ServerOptions options = localOptions();
  options.read_timeout = std::chrono::milliseconds(200);
  startServer(options);

  Client client(server_->port());
  client.sendRaw("POST /x HTTP/1.1\r\nHost: a\r\n");  // headers never finish
  auto response = client.read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 408);
  EXPECT_TRUE(client.closedByServer());
  EXPECT_EQ(refused("timeout"), 1);
}

// A slow-header client (slowloris) is cut off by header_timeout although the whole-request
// limit is far away (longer than the client's own 10 s wait, so only the header limit can
// produce this 408).
TEST_F(HttpServerTest, SlowHeaderTimesOutWithHeaderTimeout) {
  ServerOptions options = localOptions();
  options.header_timeout = std::chrono::milliseconds(200);
  options.read_timeout = std::chrono::minutes(5);
  options.idle_timeout = std::chrono::minutes(5);
  startServer(options);

  Client client(server_->port());
  client.sendRaw("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ");
  auto response = client.read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 408);
  EXPECT_EQ(errorCodeOf(*response), "timeout");
  EXPECT_TRUE(client.closedByServer());
}

// The header arrived in time, the body does not: read_timeout (the whole request) ends it.
TEST_F(HttpServerTest, SlowBodyTimesOutWithReadTimeout) {
  std::atomic<bool> handler_called{false};
  route("POST", "/upload", [&](Request&&, Responder respond) {
    handler_called = true;
    respond(textResponse("ok"));
  });
  ServerOptions options = localOptions();
  options.header_timeout = std::chrono::minutes(5);
  options.read_timeout = std::chrono::milliseconds(300);
  options.idle_timeout = std::chrono::minutes(5);
  startServer(options);

  Client client(server_->port());
  client.sendRaw("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
  auto response = client.read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result_int(), 408);
  EXPECT_TRUE(client.closedByServer());
  EXPECT_FALSE(handler_called);
  EXPECT_EQ(refused("timeout"), 1);
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterIdleTimeout) {
  ServerOptions options = localOptions();
  options.idle_timeout = std::chrono::milliseconds(200);
  options.read_timeout = std::chrono::minutes(5);
  startServer(options);

  Client client(server_->port());
  EXPECT_TRUE(client.closedByServer());
  EXPECT_EQ(refused("timeout"), 0);  // nothing was asked, nothing is answered or counted
}

// After an answer, a kept-alive connection that sends nothing more is closed by idle_timeout
// (no 408: there is no request to answer).
TEST_F(HttpServerTest, KeptAliveConnectionIsClosedAfterIdleTimeout) {
  route("GET", "/", [](Request&&, Responder respond) { respond(textResponse("ok")); });
  ServerOptions options = localOptions();
  options.idle_timeout = std::chrono::milliseconds(200);
  options.header_timeout = std::chrono::minutes(5);
  options.read_timeout = std::chrono::minutes(5);
  startServer(options);

  Client client(server_->port());
  ClientResponse response = client.roundTrip(beast_http::verb::get, "/");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_TRUE(response.keep_alive());
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpServerTest, HandlerAnswersLaterFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex workers_mu;
  route("POST", "/slow", [&](Request&& request, Responder respond) {
    std::lock_guard lock(workers_mu);
    workers.emplace_back([body = std::move(request.body), respond = std::move(respond)] {
      respond(textResponse("later " + body));
    });
  });
  startServer();

  Client client(server_->port());
  EXPECT_EQ(client.roundTrip(beast_http::verb::post, "/slow", "a").body(), "later a");
  EXPECT_EQ(client.roundTrip(beast_http::verb::post, "/slow", "b").body(), "later b");
  std::lock_guard lock(workers_mu);
  for (std::thread& worker : workers) {
    worker.join();
  }
}

TEST_F(HttpServerTest, KeepAliveServesRequestsInOrderOnOneConnection) {
  Mailbox<Responder> first_responder;
  route("GET", "/first", [&](Request&&, Responder respond) { first_responder.put(respond); });
  route("GET", "/second", [](Request&&, Responder respond) { respond(textResponse("two")); });
  startServer();

  Client client(server_->port());
  // Pipelined: the second request is sent before the first is answered.
  for (const char* target : {"/first", "/second"}) {
    beast_http::request<beast_http::string_body> request(beast_http::verb::get, target, 11);
    request.set(beast_http::field::host, "127.0.0.1");
    client.send(std::move(request));
  }
  first_responder.take()(textResponse("one"));

  auto first = client.read();
  auto second = client.read();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->body(), "one");
  EXPECT_TRUE(first->keep_alive());
  EXPECT_EQ(second->body(), "two");
}

TEST_F(HttpServerTest, SecondResponderCallIsIgnored) {
  route("GET", "/twice", [](Request&&, Responder respond) {
    respond(textResponse("first"));
    respond(textResponse("second"));
  });
  startServer();

  Client client(server_->port());
  EXPECT_EQ(client.roundTrip(beast_http::verb::get, "/twice").body(), "first");
  // A stray second answer would show up here instead of the next one.
  EXPECT_EQ(client.roundTrip(beast_http::verb::get, "/twice").body(), "first");
}

TEST_F(HttpServerTest, DroppedResponderAnswers500) {
  route("GET", "/forgetful", [](Request&&, Responder) {});
  route("GET", "/throws", [](Request&&, Responder) { throw std::runtime_error("boom"); });
  startServer();

  Client client(server_->port());
  ClientResponse dropped = client.roundTrip(beast_http::verb::get, "/forgetful");
  EXPECT_EQ(dropped.result_int(), 500);
  EXPECT_EQ(errorCodeOf(dropped), "internal");
  EXPECT_EQ(client.roundTrip(beast_http::verb::get, "/throws").result_int(), 500);
}

TEST_F(HttpServerTest, ResponderCalledAfterStopIsANoOp) {
  Mailbox<Responder> held;
  route("GET", "/held", [&](Request&&, Responder respond) { held.put(std::move(respond)); });
  ServerOptions options = localOptions();
  options.drain_timeout = std::chrono::milliseconds(50);
  startServer(options);

  Client client(server_->port());
  beast_http::request<beast_http::string_body> request(beast_http::verb::get, "/held", 11);
  client.send(std::move(request));
  Responder respond = held.take();

  server_->stop();
  respond(textResponse("too late"));
  server_.reset();  // even with the server gone, the Responder and its copies stay harmless
  Responder copy = respond;
  copy(textResponse("still too late"));
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpServerTest, StopReturnsWithinDrainTimeoutWhileRequestWaits) {
  Mailbox<Responder> held;
  route("GET", "/held", [&](Request&&, Responder respond) { held.put(std::move(respond)); });
  ServerOptions options = localOptions();
  options.drain_timeout = std::chrono::milliseconds(300);
  startServer(options);

  Client client(server_->port());
  Client idle(server_->port());  // an idle keep-alive connection must not hold up the drain
  beast_http::request<beast_http::string_body> request(beast_http::verb::get, "/held", 11);
  client.send(std::move(request));
  Responder respond = held.take();

  const auto before = std::chrono::steady_clock::now();
  server_->stop();
  const auto took = std::chrono::steady_clock::now() - before;
  // Generous slack above the drain timeout for a loaded CI machine; without a drain limit this
  // would block forever.
  EXPECT_LT(took, options.drain_timeout + std::chrono::seconds(3));
  EXPECT_TRUE(client.closedByServer());
  EXPECT_TRUE(idle.closedByServer());
  server_->stop();  // idempotent
  respond(textResponse("too late"));
}

TEST_F(HttpServerTest, StopLetsInFlightRequestAnswer) {
  Mailbox<Responder> held;
  route("GET", "/held", [&](Request&&, Responder respond) { held.put(std::move(respond)); });
  ServerOptions options = localOptions();
  options.drain_timeout = std::chrono::seconds(30);
  startServer(options);
  const uint16_t port = server_->port();

  Client client(port);
  beast_http::request<beast_http::string_body> request(beast_http::verb::get, "/held", 11);
  client.send(std::move(request));
  Responder respond = held.take();

  auto stopped = std::async(std::launch::async, [&] { server_->stop(); });
  // Once the listener is closed, stop() is draining: answer now.
  while (canConnect(port)) {
    std::this_thread::yield();
  }
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  respond(textResponse("answered while draining"));

  auto response = client.read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body(), "answered while draining");
  EXPECT_FALSE(response->keep_alive());
  EXPECT_EQ(stopped.wait_for(kClientTimeout), std::future_status::ready);
}

TEST_F(HttpServerTest, StartFailsWhenPortIsTaken) {
  startServer();
  ServerOptions options = localOptions();
  options.port = server_->port();
  HttpServer second(options);
  Status started = second.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code(), Errc::kIo);
  EXPECT_NE(started.error().message().find(std::to_string(options.port)), std::string::npos)
      << started.error().message();
}

TEST_F(HttpServerTest, StartRejectsNonNumericAddress) {
  ServerOptions options = localOptions();
  options.address = "not an address";
  HttpServer server(options);
  Status started = server.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code(), Errc::kConfig);
}

TEST(HttpServerTypesTest, JsonErrorEscapesStrings) {
  Response response = jsonError(400, "bad_input", "field \"to\" is\nmissing \\ here");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body,
            R"({"error":{"code":"bad_input","message":"field \"to\" is\nmissing \\ here"}})");
  boost::json::value parsed = boost::json::parse(response.body);
  EXPECT_EQ(parsed.at("error").at("message").as_string(), "field \"to\" is\nmissing \\ here");
}

TEST(HttpServerTypesTest, HeaderLookupIsCaseInsensitiveAndLastWins) {
  Request request;
  request.headers = {{"Content-Type", "text/plain"}, {"X-A", "1"}, {"x-a", "2"}};
  EXPECT_EQ(request.header("content-type"), "text/plain");
  EXPECT_EQ(request.header("X-a"), "2");
  EXPECT_EQ(request.header("Content-Typ"), std::nullopt);
}

}  // namespace
}  // namespace switchboard::http
