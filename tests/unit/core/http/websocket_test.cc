// The server side of WebSocket routes: a real HttpServer on 127.0.0.1:0 and a real Boost.Beast
// WebSocket client over TCP. Replies in frame order, the socket limits (1009, 1003, idle
// timeout, back-pressure), refusing an upgrade, and the 1001 close on stop().
#include <chrono>
#include <condition_variable>
#include <functional>
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
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "core/http/http_server.h"
#include "core/http/websocket.h"

namespace switchboard::http {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// Bounds every wait, so a server bug fails the test instead of hanging it.
constexpr std::chrono::seconds kTimeout{10};
constexpr std::string_view kPath = "/ws";

// What the server side saw, shared with the test thread.
class Recorder {
 public:
  // When holding, replies are kept for the test to answer; otherwise each frame is answered
  // "ack:<frame>" at once.
  explicit Recorder(bool hold) : hold_(hold) {}

  void onText(std::string frame, WebSocketReply reply) {
    std::lock_guard lock(mu_);
    frames_.push_back(frame);
    if (hold_) {
      held_.push_back(std::move(reply));
    } else {
      reply("ack:" + frame);
    }
    cv_.notify_all();
  }

  void onClosed(WebSocketCloseCause cause) {
    std::lock_guard lock(mu_);
    closed_ = cause;
    cv_.notify_all();
  }

  bool waitForFrames(size_t count, std::chrono::milliseconds timeout = kTimeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return frames_.size() >= count; });
  }

  std::optional<WebSocketCloseCause> waitForClose() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kTimeout, [&] { return closed_.has_value(); });
    return closed_;
  }

  size_t frameCount() {
    std::lock_guard lock(mu_);
    return frames_.size();
  }

  // The held reply of frame `index` (taken out, so it can be called without the lock).
  WebSocketReply takeReply(size_t index) {
    std::lock_guard lock(mu_);
    return std::move(held_.at(index));
  }

 private:
  const bool hold_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> frames_;
  std::vector<WebSocketReply> held_;
  std::optional<WebSocketCloseCause> closed_;
};

class RecordingConnection final : public WebSocketConnection {
 public:
  explicit RecordingConnection(std::shared_ptr<Recorder> recorder)
      : recorder_(std::move(recorder)) {}
  void onText(std::string&& frame, WebSocketReply reply) override {
    recorder_->onText(std::move(frame), std::move(reply));
  }
  void onClosed(WebSocketCloseCause cause) override { recorder_->onClosed(cause); }

 private:
  std::shared_ptr<Recorder> recorder_;
};

// A synchronous WebSocket client; reads run on a private io_context with a deadline.
class WsClient {
 public:
  WsClient() : ws_(ioc_) {}

  // The upgrade's error, if any; `response` gets the server's answer to it.
  error_code connect(uint16_t port, std::string_view target = kPath,
                     websocket::response_type* response = nullptr) {
    error_code ec;
    ws_.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) {
      return ec;
    }
    websocket::response_type ignored;
    ws_.handshake(response != nullptr ? *response : ignored, "127.0.0.1", target, ec);
    return ec;
  }

  void sendText(const std::string& text) {
    ws_.text(true);
    ws_.write(asio::buffer(text));
  }

  void sendBinary(const std::string& bytes) {
    ws_.binary(true);
    ws_.write(asio::buffer(bytes));
  }

  // The next message, or nullopt with the error that ended the connection.
  std::optional<std::string> read(error_code* error = nullptr) {
    boost::beast::flat_buffer buffer;
    std::optional<error_code> result;
    ws_.async_read(buffer, [&](const error_code& ec, size_t) { result = ec; });
    ioc_.restart();
    ioc_.run_for(kTimeout);
    if (!result) {
      error_code ignored;
      ws_.next_layer().close(ignored);
      ioc_.restart();
      ioc_.run();
    }
    if (error != nullptr) {
      *error = *result;
    }
    if (*result) {
      return std::nullopt;
    }
    return boost::beast::buffers_to_string(buffer.data());
  }

  // The code of the close frame the server sent (after read() failed with `closed`).
  uint16_t closeCode() const { return ws_.reason().code; }

  void close() { ws_.close(websocket::close_code::normal); }

 private:
  asio::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
};

class WebSocketTest : public ::testing::Test {
 protected:
  void startServer(bool hold, WebSocketOptions ws_options = {},
                   std::function<std::optional<Response>(const Request&)> refuse = {}) {
    recorder_ = std::make_shared<Recorder>(hold);
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    server_ = std::make_unique<HttpServer>(options);
    server_->routeWebSocket(
        std::string(kPath),
        [recorder = recorder_, refuse](const Request& upgrade) -> WebSocketAccept {
          if (refuse) {
            if (std::optional<Response> refusal = refuse(upgrade)) {
              return std::move(*refusal);
            }
          }
          return std::make_unique<RecordingConnection>(recorder);
        },
        ws_options);
    Status started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().describe();
  }

  void TearDown() override {
    if (server_) {
      server_->stop();
    }
  }

  std::shared_ptr<Recorder> recorder_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(WebSocketTest, AnswersEachTextFrameAndSeesTheClientClose) {
  startServer(/*hold=*/false);
  WsClient client;
  ASSERT_FALSE(client.connect(server_->port()));
  for (const std::string frame : {"one", "two", "three"}) {
    client.sendText(frame);
  }
  EXPECT_EQ(client.read(), "ack:one");
  EXPECT_EQ(client.read(), "ack:two");
  EXPECT_EQ(client.read(), "ack:three");
  client.close();
  EXPECT_EQ(recorder_->waitForClose(), WebSocketCloseCause::kPeerClosed);
}

TEST_F(WebSocketTest, RepliesLeaveInFrameOrderWhateverOrderTheyAreCalledIn) {
  startServer(/*hold=*/true);
  WsClient client;
  ASSERT_FALSE(client.connect(server_->port()));
  client.sendText("a");
  client.sendText("b");
  client.sendText("c");
  ASSERT_TRUE(recorder_->waitForFrames(3));
  // Answered last to first, from another thread, as delivery reports may come.
  std::thread answerer([&] {
    recorder_->takeReply(2)("reply-c");
    recorder_->takeReply(1)("reply-b");
    recorder_->takeReply(0)("reply-a");
  });
  answerer.join();
  EXPECT_EQ(client.read(), "reply-a");
  EXPECT_EQ(client.read(), "reply-b");
  EXPECT_EQ(client.read(), "reply-c");
}

TEST_F(WebSocketTest, DroppedReplySendsAJsonErrorInItsPlace) {
  startServer(/*hold=*/true);
  WsClient client;
  ASSERT_FALSE(client.connect(server_->port()));
  client.sendText("a");
  ASSERT_TRUE(recorder_->waitForFrames(1));
  { WebSocketReply dropped = recorder_->takeReply(0); }
  std::optional<std::string> reply = client.read();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(boost::json::parse(*reply).at("error").at("code").as_string(), "internal");
}

TEST_F(WebSocketTest, MessageOverTheLimitClosesWith1009) {
  WebSocketOptions options;
  options.max_message_bytes = 1024;
  startServer(/*hold=*/false, options);
  WsClient client;
  ASSERT_FALSE(client.connect(server_->port()));
  client.sendText(std::string(1024, 'x'));
  EXPECT_EQ(client.read(), "ack:" + std::string(1024, 'x'));  // at the limit: fine
  client.sendText(std::string(1025, 'x'));
  error_code ec;
  EXPECT_FALSE(client.read(&ec).has_value());
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(client.closeCode(), 1009);
  EXPECT_EQ(recorder_->waitForClose(), WebSocketCloseCause::kMessageTooBig);
  EXPECT_EQ(recorder_->frameCount(), 1u);
}

TEST_F(WebSocketTest, BinaryFrameClosesWith1003) {
  startServer(/*hold=*/false);
  WsClient client;
  ASSERT_FALSE(client.connect(server_->port()));
  client.sendBinary("\x01\x02");
  error_code ec;
  EXPECT_FALSE(client.read(&ec).has_value());
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(client.closeCode(), 1003);
  EXPECT_EQ(recorder_->waitForClose(), WebSocketCloseCause::kBinaryFrame);
  EXPECT_EQ(recorder_->frameCount(), 0u);
}

TEST_F(WebSocketTest, ReadingPausesAtMaxInFlightUntilRepliesGoOut) {
  WebSocketOptions options;
  options.max_in_flight = 2;
  startServer(/*hold=*/true, options);
  WsClient client;
  ASSERT_FALSE(client.connect(server_->port()));
  for (int i = 0; i < 5; ++i) {
    client.sendText("f" + std::to_string(i));
  }
  ASSERT_TRUE(recorder_->waitForFrames(2));
  // The third frame is on the socket, but is not read while two await their replies.
  EXPECT_FALSE(recorder_->waitForFrames(3, std::chrono::milliseconds(300)));
  recorder_->takeReply(0)("r0");
  EXPECT_EQ(client.read(), "r0");
  ASSERT_TRUE(recorder_->waitForFrames(3));
  EXPECT_FALSE(recorder_->waitForFrames(4, std::chrono::milliseconds(300)));
  recorder_->takeReply(1)("r1");
  recorder_->takeReply(2)("r2");
  EXPECT_EQ(client.read(), "r1");
  EXPECT_EQ(client.read(), "r2");
  ASSERT_TRUE(recorder_->waitForFrames(5));
  recorder_->takeReply(4)("r4");
  recorder_->takeReply(3)("r3");
  EXPECT_EQ(client.read(), "r3");
  EXPECT_EQ(client.read(), "r4");
}

TEST_F(WebSocketTest, StopSendsRepliesInFlightThenClosesWith1001) {
  startServer(/*hold=*/true);
  WsClient client;
  ASSERT_FALSE(client.connect(server_->port()));
  client.sendText("last words");
  ASSERT_TRUE(recorder_->waitForFrames(1));
  std::thread stopper([&] { server_->stop(); });
  recorder_->takeReply(0)("stored");
  EXPECT_EQ(client.read(), "stored");
  error_code ec;
  EXPECT_FALSE(client.read(&ec).has_value());
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(client.closeCode(), 1001);
  stopper.join();
  EXPECT_EQ(recorder_->waitForClose(), WebSocketCloseCause::kServerStopping);
}

TEST_F(WebSocketTest, PeerThatAnswersNoPingIsDroppedAfterTheIdleTimeout) {
  WebSocketOptions options;
  options.idle_timeout = std::chrono::milliseconds(300);
  startServer(/*hold=*/false, options);
  WsClient client;
  ASSERT_FALSE(client.connect(server_->port()));
  // The client never reads, so it never answers the server's ping.
  EXPECT_EQ(recorder_->waitForClose(), WebSocketCloseCause::kIdleTimeout);
}

TEST_F(WebSocketTest, HandlerCanRefuseTheUpgrade) {
  startServer(/*hold=*/false, {}, [](const Request& upgrade) -> std::optional<Response> {
    if (upgrade.query == "token=ok") {
      return std::nullopt;
    }
    return jsonError(403, "forbidden", "no token");
  });
  WsClient refused;
  websocket::response_type response;
  EXPECT_EQ(refused.connect(server_->port(), "/ws?token=bad", &response),
            websocket::error::upgrade_declined);
  EXPECT_EQ(response.result_int(), 403);

  WsClient accepted;
  ASSERT_FALSE(accepted.connect(server_->port(), "/ws?token=ok"));
  accepted.sendText("hi");
  EXPECT_EQ(accepted.read(), "ack:hi");
}

TEST_F(WebSocketTest, PlainRequestToAWebSocketPathIs426) {
  startServer(/*hold=*/false);
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  beast_http::request<beast_http::empty_body> request(beast_http::verb::get, kPath, 11);
  request.set(beast_http::field::host, "127.0.0.1");
  beast_http::write(socket, request);
  boost::beast::flat_buffer buffer;
  beast_http::response<beast_http::string_body> response;
  beast_http::read(socket, buffer, response);
  EXPECT_EQ(response.result_int(), 426);
  EXPECT_EQ(response[beast_http::field::upgrade], "websocket");
}

}  // namespace
}  // namespace switchboard::http
