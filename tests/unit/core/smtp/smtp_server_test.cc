// Starts a real SmtpServer on 127.0.0.1:0 with a fake sink and talks to it over TCP.
#include "core/smtp/smtp_server.h"

#include "core/metrics/metrics_registry.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::smtp {
namespace {

using namespace std::chrono_literals;

// A blocking SMTP client on a plain socket; every read gives up after 10 s so that a server
// bug fails the test instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // One complete reply (all lines of a multi-line one), or what arrived before EOF/timeout.
  std::string reply() {
    std::string out;
    while (true) {
      std::string line = readLine();
      out += line;
      if (line.size() < 4 || line.back() != '\n' || line[3] == ' ') {
        return out;
      }
    }
  }

  // True once the server has closed the connection (EOF).
  bool closedByServer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  std::string readLine() {
    while (true) {
      const size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline + 1);
        buffer_.erase(0, newline + 1);
        return line;
      }
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        std::string rest;
        rest.swap(buffer_);
        return rest;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// Keeps every message and its callback, so tests decide when and how to answer.
class FakeSink {
 public:
  MessageSink sink() {
    return [this](ReceivedMessage&& message, DeliveryCallback done) {
      std::lock_guard lock(mu_);
      messages_.push_back(std::move(message));
      if (auto_outcome_) {
        done(*auto_outcome_);
      } else if (drop_callbacks_) {
        // done goes out of scope unanswered
      } else {
        callbacks_.push_back(std::move(done));
      }
      changed_.notify_all();
    };
  }

  void answerAutomatically(DeliveryOutcome outcome) {
    std::lock_guard lock(mu_);
    auto_outcome_ = std::move(outcome);
  }
  void dropCallbacks() {
    std::lock_guard lock(mu_);
    drop_callbacks_ = true;
  }

  // Waits until `count` messages arrived; returns them.
  std::vector<ReceivedMessage> waitForMessages(size_t count) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, 10s, [&] { return messages_.size() >= count; });
    return messages_;
  }

  // Waits for the next unanswered callback and takes it; empty when none came. (A plain
  // std::function rather than an optional one: GCC 12 at -O3 reports a false
  // -Wmaybe-uninitialized inside std::optional<std::function>.)
  DeliveryCallback takeCallback() {
    std::unique_lock lock(mu_);
    if (!changed_.wait_for(lock, 10s, [&] { return !callbacks_.empty(); })) {
      return nullptr;
    }
    DeliveryCallback callback = std::move(callbacks_.front());
    callbacks_.erase(callbacks_.begin());
    return callback;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<ReceivedMessage> messages_;
  std::vector<DeliveryCallback> callbacks_;
  std::optional<DeliveryOutcome> auto_outcome_;
  bool drop_callbacks_ = false;
};

class SmtpServerTest : public ::testing::Test {
 protected:
  void start(Protocol protocol = Protocol::kSmtp,
             std::chrono::milliseconds idle_timeout = std::chrono::milliseconds(30000),
             size_t max_connections = 10) {
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.conversation.protocol = protocol;
    options.conversation.hostname = "mx.test";
    options.conversation.max_message_bytes = 1 << 20;
    options.idle_timeout = idle_timeout;
    options.max_connections = max_connections;
    options.drain_timeout = 3000ms;
    server_ = std::make_unique<SmtpServer>(options, sink_.sink());
    auto started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().describe();
    ASSERT_NE(server_->port(), 0);
  }

  // EHLO/LHLO, MAIL, RCPT for each recipient, DATA: asserts every reply.
  void openTransaction(Client& client, const std::vector<std::string>& recipients,
                       std::string_view hello = "EHLO") {
    ASSERT_EQ(client.reply().substr(0, 4), "220 ");
    client.send(std::string(hello) + " client.test\r\n");
    ASSERT_EQ(client.reply().substr(0, 4), "250-");
    client.send("MAIL FROM:<ana@example.com>\r\n");
    ASSERT_EQ(client.reply(), "250 2.1.0 Ok\r\n");
    for (const auto& rcpt : recipients) {
      client.send("RCPT TO:<" + rcpt + ">\r\n");
      ASSERT_EQ(client.reply(), "250 2.1.5 Ok\r\n");
    }
    client.send("DATA\r\n");
    ASSERT_EQ(client.reply().substr(0, 4), "354 ");
  }

  FakeSink sink_;
  std::unique_ptr<SmtpServer> server_;
};

TEST_F(SmtpServerTest, RepliesOnlyOnceTheSinkHasAnswered) {
  start();
  Client client(server_->port());
  ASSERT_TRUE(client.connected());
  openTransaction(client, {"support@shop.example"});
  client.send("Subject: hello\r\n\r\n..dot\r\n.\r\n");
  auto messages = sink_.waitForMessages(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].data, "Subject: hello\r\n\r\n.dot\r\n");
  EXPECT_EQ(messages[0].mail_from, "ana@example.com");
  EXPECT_EQ(messages[0].helo, "client.test");
  EXPECT_EQ(messages[0].remote_address, "127.0.0.1");
  // Nothing is replied before the outcome: a NOOP pipelined behind the message is answered
  // after it, in order.
  client.send("NOOP\r\n");
  auto callback = sink_.takeCallback();
  ASSERT_TRUE(callback);
  std::thread other([cb = std::move(callback)] { cb(DeliveryOutcome::accepted("Ok: queued")); });
  other.join();
  EXPECT_EQ(client.reply(), "250 2.0.0 Ok: queued\r\n");
  EXPECT_EQ(client.reply(), "250 2.0.0 Ok\r\n");
  client.send("QUIT\r\n");
  EXPECT_EQ(client.reply(), "221 2.0.0 mx.test closing connection\r\n");
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(SmtpServerTest, LmtpAnswersEachRecipient) {
  start(Protocol::kLmtp);
  sink_.answerAutomatically(DeliveryOutcome::retryLater("Kafka unavailable"));
  Client client(server_->port());
  openTransaction(client, {"a@shop.example", "b@shop.example"}, "LHLO");
  client.send("x\r\n.\r\n");
  EXPECT_EQ(client.reply(), "451 4.3.0 Kafka unavailable\r\n");
  EXPECT_EQ(client.reply(), "451 4.3.0 Kafka unavailable\r\n");
  auto messages = sink_.waitForMessages(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].protocol, Protocol::kLmtp);
  EXPECT_EQ(messages[0].rcpt_to, (std::vector<std::string>{"a@shop.example", "b@shop.example"}));
}

TEST_F(SmtpServerTest, ADroppedCallbackAnswers451) {
  start();
  sink_.dropCallbacks();
  Client client(server_->port());
  openTransaction(client, {"a@shop.example"});
  client.send("x\r\n.\r\n");
  EXPECT_EQ(client.reply(), "451 4.3.0 message was not handled\r\n");
}

TEST_F(SmtpServerTest, ALargeMessageArrivesWhole) {
  start();
  sink_.answerAutomatically(DeliveryOutcome::accepted("Ok"));
  Client client(server_->port());
  openTransaction(client, {"a@shop.example"});
  std::string body;
  for (int i = 0; i < 5000; ++i) {
    body += (i % 7 == 0 ? "." : "") + std::string("line ") + std::to_string(i) + "\r\n";
  }
  std::string stuffed;
  for (int i = 0; i < 5000; ++i) {
    stuffed += (i % 7 == 0 ? ".." : "") + std::string("line ") + std::to_string(i) + "\r\n";
  }
  client.send(stuffed + ".\r\n");
  EXPECT_EQ(client.reply(), "250 2.0.0 Ok\r\n");
  auto messages = sink_.waitForMessages(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].data, body);
}

TEST_F(SmtpServerTest, IdleConnectionsGet421) {
  start(Protocol::kSmtp, 300ms);
  Client client(server_->port());
  ASSERT_EQ(client.reply().substr(0, 4), "220 ");
  client.send("EHLO c\r\n");
  ASSERT_EQ(client.reply().substr(0, 4), "250-");
  EXPECT_EQ(client.reply(), "421 4.4.2 mx.test idle timeout, closing connection\r\n");
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(SmtpServerTest, TooManyConnectionsGet421) {
  start(Protocol::kSmtp, 30000ms, 1);
  Client first(server_->port());
  ASSERT_EQ(first.reply().substr(0, 4), "220 ");
  Client second(server_->port());
  EXPECT_EQ(second.reply(), "421 mx.test too many connections, try again later\r\n");
  EXPECT_TRUE(second.closedByServer());
  first.send("NOOP\r\n");
  EXPECT_EQ(first.reply(), "250 Ok\r\n");
}

TEST_F(SmtpServerTest, StopSays421ToIdleClientsAndFinishesDeliveries) {
  start();
  Client idle(server_->port());
  ASSERT_EQ(idle.reply().substr(0, 4), "220 ");
  Client busy(server_->port());
  openTransaction(busy, {"a@shop.example"});
  busy.send("x\r\n.\r\n");
  auto callback = sink_.takeCallback();
  ASSERT_TRUE(callback);

  std::thread stopper([&] { server_->stop(); });
  // The idle client is told at once; the busy one still gets its outcome, then 421.
  EXPECT_EQ(idle.reply(), "421 mx.test service shutting down\r\n");
  callback(DeliveryOutcome::accepted("Ok: queued"));
  EXPECT_EQ(busy.reply(), "250 2.0.0 Ok: queued\r\n");
  EXPECT_EQ(busy.reply(), "421 4.3.2 mx.test service shutting down\r\n");
  stopper.join();
  EXPECT_TRUE(busy.closedByServer());
}

TEST_F(SmtpServerTest, ACallbackAfterStopDoesNothing) {
  start();
  DeliveryCallback callback;
  {
    Client client(server_->port());
    openTransaction(client, {"a@shop.example"});
    client.send("x\r\n.\r\n");
    callback = sink_.takeCallback();
    ASSERT_TRUE(callback);
  }
  server_->stop();
  callback(DeliveryOutcome::accepted("late"));
  server_.reset();
  callback = nullptr;
}

TEST(SmtpServerProbeTest, CountsConnectionsErrorsAndMessages) {
  metrics::MetricsRegistry registry;
  SmtpProbe probe(registry, Protocol::kSmtp);
  ServerOptions options;
  options.port = 0;
  options.max_connections = 1;
  options.conversation.max_message_bytes = 10;
  SmtpServer server(
      options,
      [](ReceivedMessage&&, DeliveryCallback done) { done(DeliveryOutcome::accepted("Ok")); },
      &probe);
  ASSERT_TRUE(server.start().has_value());
  {
    Client client(server.port());
    ASSERT_EQ(client.reply().substr(0, 4), "220 ");
    Client refused(server.port());
    EXPECT_EQ(refused.reply().substr(0, 4), "421 ");
    client.send("EHLO c\r\nFOO\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    for (int i = 0; i < 5; ++i) client.reply();
    client.send("tiny\r\n.\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    EXPECT_EQ(client.reply(), "250 2.0.0 Ok\r\n");
    for (int i = 0; i < 3; ++i) client.reply();
    client.send("this is longer than ten bytes\r\n.\r\nQUIT\r\n");
    EXPECT_EQ(client.reply(), "552 5.3.4 message exceeds 10 bytes\r\n");
    EXPECT_EQ(client.reply().substr(0, 4), "221 ");
  }
  server.stop();
  const std::string text = registry.render();
  for (const char* series : {
           R"(switchboard_smtp_connections_total{outcome="accepted",protocol="smtp"} 1)",
           R"(switchboard_smtp_connections_total{outcome="refused",protocol="smtp"} 1)",
           R"(switchboard_smtp_command_errors_total{protocol="smtp"} 1)",
           R"(switchboard_smtp_messages_total{outcome="accepted",protocol="smtp"} 1)",
           R"(switchboard_smtp_messages_total{outcome="too_big",protocol="smtp"} 1)",
       }) {
    EXPECT_NE(text.find(series), std::string::npos) << series << "\n" << text;
  }
}

TEST(SmtpServerStartTest, RejectsANonNumericAddress) {
  ServerOptions options;
  options.address = "localhost";
  options.port = 0;
  SmtpServer server(options, [](ReceivedMessage&&, DeliveryCallback) {});
  auto started = server.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code(), Errc::kConfig);
}

}  // namespace
}  // namespace switchboard::smtp
