// Structure (the same as core/http/http_server.cc):
//   Core     shared by the server and every session: options, the sink, the io_context, the
//            acceptor and the shutdown state. Sessions hold it by shared_ptr, so a
//            DeliveryCallback kept after the server is gone still points at a live io_context.
//   Session  one connection on its own strand: read bytes into its Conversation, write what it
//            answers, hand completed messages to the sink and wait for the outcome.
//   PendingOutcome  shared by the copies of one DeliveryCallback: posts the outcome onto the
//            strand at most once, and 451 if every copy is dropped unanswered.
// Shutdown: stop() marks the core `stopping` (no new connections; a connection about to wait
// for a command gets 421 instead), cancels the reads of connections waiting for a command,
// waits up to drain_timeout for the others, marks the core `closed` (outcomes are no longer
// posted), closes whatever is left and joins the threads.
#include "core/smtp/smtp_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "core/log.h"

namespace switchboard::smtp {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::string_view kLog = "smtp";
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr size_t kReadChunkBytes = 16 << 10;

class Session;

ServerOptions withObserver(ServerOptions options, SmtpProbe* probe) {
  if (options.conversation.observer == nullptr) {
    options.conversation.observer = probe;
  }
  return options;
}

class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(ServerOptions server_options, MessageSink message_sink, SmtpProbe* smtp_probe)
      : options(withObserver(std::move(server_options), smtp_probe)),
        sink(std::move(message_sink)),
        probe(smtp_probe),
        acceptor(asio::make_strand(ioc)),
        accept_retry(acceptor.get_executor()) {}

  void doAccept();

  enum class Admission { kAdmitted, kFull, kStopping };
  Admission registerSession(const std::shared_ptr<Session>& session);
  void deregisterSession(const Session* session);
  std::vector<std::shared_ptr<Session>> liveSessions();

  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void beginStopping() {
    std::lock_guard lock(mu_);
    stopping_.store(true, std::memory_order_release);
  }
  size_t drainAndClose(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    sessions_gone_.wait_for(lock, timeout, [&] { return sessions_.empty(); });
    closed_ = true;
    return sessions_.size();
  }
  template <typename Fn>
  bool postUnlessClosed(const asio::any_io_executor& executor, Fn&& fn) {
    std::lock_guard lock(mu_);
    if (closed_) {
      return false;
    }
    asio::post(executor, std::forward<Fn>(fn));
    return true;
  }
  // After the I/O threads are joined: releases what the sink captured.
  void clearSink() { sink = nullptr; }

  const ServerOptions options;
  MessageSink sink;
  SmtpProbe* const probe;  // may be null
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;

 private:
  void onAccept(const error_code& ec, tcp::socket socket);

  std::mutex mu_;  // guards sessions_, closed_ and changes of stopping_
  std::condition_variable sessions_gone_;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
  bool closed_ = false;
  std::atomic<bool> stopping_{false};
};

std::string endpointText(const tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return text + ":" + std::to_string(endpoint.port());
}

std::string remoteAddressOf(const tcp::socket& socket) {
  error_code ec;
  tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) {
    return {};
  }
  asio::ip::address address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Core> core, tcp::socket socket)
      : core_(std::move(core)),
        executor_(socket.get_executor()),
        socket_(std::move(socket)),
        deadline_(executor_),
        remote_address_(remoteAddressOf(socket_)),
        conversation_(core_->options.conversation, remote_address_) {}

  ~Session() {
    if (phase_ != Phase::kClosed) {
      core_->deregisterSession(this);
    }
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    asio::dispatch(executor_, [self = shared_from_this()] { self->pump(); });
  }

  // Greets with 421 and closes: the server is full.
  void refuse() {
    asio::dispatch(executor_, [self = shared_from_this()] {
      (void)self->conversation_.takeOutput();  // the 220 greeting
      self->conversation_.abort("4.7.0", "too many connections, try again later");
      self->writeThen(self->conversation_.takeOutput(), Then::kClose);
    });
  }

  // Any thread: a connection waiting for a command gets 421 and is closed; one receiving a
  // message or waiting for its outcome carries on (pump() says 421 once it is done).
  void shutdownIfIdle() {
    asio::post(executor_, [self = shared_from_this()] {
      if (self->phase_ == Phase::kReading && !self->conversation_.inData()) {
        self->cancel_reason_ = CancelReason::kShutdown;
        error_code ignored;
        self->socket_.cancel(ignored);
      }
    });
  }

  void forceClose() {
    asio::post(executor_, [self = shared_from_this()] { self->close(); });
  }

  // Any thread (the DeliveryCallback); a no-op once the server gave up on its connections.
  bool deliverOutcome(DeliveryOutcome outcome) {
    return core_->postUnlessClosed(
        executor_, [self = shared_from_this(), outcome = std::move(outcome)]() mutable {
          self->onOutcome(std::move(outcome));
        });
  }

 private:
  enum class Phase { kReading, kWriting, kDelivering, kClosed };
  enum class Then { kRead, kDeliver, kClose };
  enum class CancelReason { kNone, kTimeout, kShutdown };

  class PendingOutcome {
   public:
    explicit PendingOutcome(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    ~PendingOutcome() {
      if (!answered_.exchange(true) &&
          session_->deliverOutcome(DeliveryOutcome::retryLater("message was not handled"))) {
        log::error(kLog, "message sink dropped its callback without answering");
      }
    }
    PendingOutcome(const PendingOutcome&) = delete;
    PendingOutcome& operator=(const PendingOutcome&) = delete;

    void answer(DeliveryOutcome outcome) {
      if (answered_.exchange(true)) {
        log::error(kLog, "message sink answered twice; the second outcome is ignored");
        return;
      }
      session_->deliverOutcome(std::move(outcome));
    }

   private:
    std::shared_ptr<Session> session_;
    std::atomic<bool> answered_{false};
  };

  // Runs the conversation until it needs input, a delivery or the end.
  void pump() {
    Conversation::Next next = conversation_.advance();
    if (next == Conversation::Next::kRead && core_->stopping() && !conversation_.inData()) {
      conversation_.abort("4.3.2", "service shutting down");
      next = Conversation::Next::kClose;
    }
    const Then then = next == Conversation::Next::kRead      ? Then::kRead
                      : next == Conversation::Next::kDeliver ? Then::kDeliver
                                                             : Then::kClose;
    writeThen(conversation_.takeOutput(), then);
  }

  void writeThen(std::string output, Then then) {
    if (output.empty()) {
      proceed(then);
      return;
    }
    phase_ = Phase::kWriting;
    write_buffer_ = std::move(output);
    armDeadline();
    asio::async_write(
        socket_, asio::buffer(write_buffer_),
        [self = shared_from_this(), then](const error_code& ec, size_t) {
          self->disarmDeadline();
          if (self->phase_ == Phase::kClosed) {
            return;
          }
          if (ec) {
            log::debug(kLog, "write to " + self->remote_address_ + " failed: " + ec.message());
            self->close();
            return;
          }
          self->write_buffer_.clear();
          self->proceed(then);
        });
  }

  void proceed(Then then) {
    switch (then) {
      case Then::kRead: doRead(); return;
      case Then::kDeliver: deliver(); return;
      case Then::kClose: close(); return;
    }
  }

  void doRead() {
    if (core_->stopping() && !conversation_.inData()) {
      // stop() began while a reply was being written.
      conversation_.abort("4.3.2", "service shutting down");
      writeThen(conversation_.takeOutput(), Then::kClose);
      return;
    }
    phase_ = Phase::kReading;
    armDeadline();
    socket_.async_read_some(
        asio::buffer(read_buffer_),
        [self = shared_from_this()](const error_code& ec, size_t n) { self->onRead(ec, n); });
  }

  void onRead(const error_code& ec, size_t n) {
    const CancelReason reason = cancel_reason_;
    disarmDeadline();
    if (phase_ == Phase::kClosed) {
      return;
    }
    if (n > 0) {
      conversation_.receive(std::string_view(read_buffer_.data(), n));
    }
    if (!ec) {
      pump();
      return;
    }
    if (reason == CancelReason::kTimeout) {
      if (core_->probe != nullptr) {
        core_->probe->idleTimeout();
      }
      conversation_.abort("4.4.2", "idle timeout, closing connection");
      writeThen(conversation_.takeOutput(), Then::kClose);
    } else if (reason == CancelReason::kShutdown) {
      conversation_.abort("4.3.2", "service shutting down");
      writeThen(conversation_.takeOutput(), Then::kClose);
    } else {
      if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
        log::debug(kLog, "read from " + remote_address_ + " failed: " + ec.message());
      }
      close();
    }
  }

  void deliver() {
    phase_ = Phase::kDelivering;
    auto pending = std::make_shared<PendingOutcome>(shared_from_this());
    DeliveryCallback done = [pending](DeliveryOutcome outcome) {
      pending->answer(std::move(outcome));
    };
    try {
      core_->sink(conversation_.takeMessage(), std::move(done));
    } catch (const std::exception& e) {
      log::error(kLog, std::string("message sink threw: ") + e.what());
      pending->answer(DeliveryOutcome::retryLater("internal error"));
    } catch (...) {
      log::error(kLog, "message sink threw a non-exception");
      pending->answer(DeliveryOutcome::retryLater("internal error"));
    }
  }

  void onOutcome(DeliveryOutcome outcome) {
    if (phase_ != Phase::kDelivering) {
      return;  // closed meanwhile
    }
    conversation_.finishDelivery(outcome);
    pump();
  }

  void close() {
    if (phase_ == Phase::kClosed) {
      return;
    }
    phase_ = Phase::kClosed;
    disarmDeadline();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    core_->deregisterSession(this);
  }

  // One deadline covers the current read or write; on expiry it cancels the socket's
  // operations so that a 421 can still be written.
  void armDeadline() {
    ++deadline_generation_;
    cancel_reason_ = CancelReason::kNone;
    const std::chrono::milliseconds timeout = core_->options.idle_timeout;
    if (timeout <= std::chrono::milliseconds::zero()) {
      return;
    }
    deadline_.expires_after(timeout);
    deadline_.async_wait(
        [self = shared_from_this(), generation = deadline_generation_](const error_code& ec) {
          if (!ec && generation == self->deadline_generation_ && self->phase_ != Phase::kClosed) {
            self->cancel_reason_ = CancelReason::kTimeout;
            error_code ignored;
            self->socket_.cancel(ignored);
          }
        });
  }

  void disarmDeadline() {
    ++deadline_generation_;
    cancel_reason_ = CancelReason::kNone;
    deadline_.cancel();
  }

  const std::shared_ptr<Core> core_;
  const asio::any_io_executor executor_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  const std::string remote_address_;

  // Touched only on the strand.
  Conversation conversation_;
  Phase phase_ = Phase::kReading;
  std::array<char, kReadChunkBytes> read_buffer_{};
  std::string write_buffer_;
  uint64_t deadline_generation_ = 0;
  CancelReason cancel_reason_ = CancelReason::kNone;
};

void Core::doAccept() {
  acceptor.async_accept(asio::make_strand(ioc),
                        [self = shared_from_this()](const error_code& ec, tcp::socket socket) {
                          self->onAccept(ec, std::move(socket));
                        });
}

void Core::onAccept(const error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
    return;
  }
  if (ec) {
    log::warn(kLog, "accept failed: " + ec.message());
    accept_retry.expires_after(kAcceptRetryDelay);
    accept_retry.async_wait([self = shared_from_this()](const error_code& wait_ec) {
      if (!wait_ec && self->acceptor.is_open()) {
        self->doAccept();
      }
    });
    return;
  }
  auto session = std::make_shared<Session>(shared_from_this(), std::move(socket));
  switch (registerSession(session)) {
    case Admission::kAdmitted:
      if (probe != nullptr) {
        probe->connectionAccepted();
      }
      session->start();
      break;
    case Admission::kFull:
      if (probe != nullptr) {
        probe->connectionRefused();
      }
      session->refuse();
      break;
    case Admission::kStopping: break;  // dropped: the socket closes with the session
  }
  doAccept();
}

Core::Admission Core::registerSession(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mu_);
  if (stopping()) {
    return Admission::kStopping;
  }
  // A refused session is registered too, so that stop() waits for its 421.
  const bool full = sessions_.size() >= options.max_connections;
  sessions_.emplace(session.get(), session);
  return full ? Admission::kFull : Admission::kAdmitted;
}

void Core::deregisterSession(const Session* session) {
  std::lock_guard lock(mu_);
  if (sessions_.erase(session) > 0 && sessions_.empty()) {
    sessions_gone_.notify_all();
  }
}

std::vector<std::shared_ptr<Session>> Core::liveSessions() {
  std::vector<std::weak_ptr<Session>> weak;
  {
    std::lock_guard lock(mu_);
    weak.reserve(sessions_.size());
    for (const auto& [key, session] : sessions_) {
      weak.push_back(session);
    }
  }
  std::vector<std::shared_ptr<Session>> live;
  for (const auto& w : weak) {
    if (auto s = w.lock()) {
      live.push_back(std::move(s));
    }
  }
  return live;
}

}  // namespace

class SmtpServer::Impl {
 public:
  Impl(ServerOptions options, MessageSink sink, SmtpProbe* probe)
      : core_(std::make_shared<Core>(std::move(options), std::move(sink), probe)) {}
  ~Impl() { stop(); }

  Status start() {
    std::lock_guard lock(lifecycle_mu_);
    if (state_ != State::kNew) {
      return makeError(Errc::kInternal, "SMTP server already started or stopped");
    }
    const ServerOptions& options = core_->options;
    if (!core_->sink) {
      return makeError(Errc::kConfig, "SMTP server needs a message sink");
    }
    error_code ec;
    const asio::ip::address address = asio::ip::make_address(options.address, ec);
    if (ec) {
      return makeError(Errc::kConfig, "SMTP listen address '" + options.address +
                                          "' is not a numeric IPv4 or IPv6 address");
    }
    const tcp::endpoint endpoint(address, options.port);
    tcp::acceptor& acceptor = core_->acceptor;
    const auto fail = [&](std::string_view what) {
      error_code ignored;
      acceptor.close(ignored);
      return makeError(Errc::kIo, "cannot listen on " + endpointText(endpoint) + ": " +
                                      std::string(what) + ": " + ec.message());
    };
    if (acceptor.open(endpoint.protocol(), ec)) {
      return fail("open");
    }
    if (acceptor.set_option(asio::socket_base::reuse_address(true), ec)) {
      return fail("SO_REUSEADDR");
    }
    if (acceptor.bind(endpoint, ec)) {
      return fail("bind");
    }
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec)) {
      return fail("listen");
    }
    const tcp::endpoint bound = acceptor.local_endpoint(ec);
    if (ec) {
      return fail("local_endpoint");
    }
    port_.store(bound.port());
    core_->doAccept();
    work_.emplace(asio::make_work_guard(core_->ioc));
    const int thread_count = std::max(1, options.threads);
    for (int i = 0; i < thread_count; ++i) {
      threads_.emplace_back([core = core_] { runIoThread(*core); });
    }
    state_ = State::kRunning;
    log::info(kLog, std::string(protocolName(options.conversation.protocol)) + " listening on " +
                        endpointText(bound));
    return okStatus();
  }

  uint16_t port() const { return port_.load(); }

  void stop() {
    std::lock_guard lock(lifecycle_mu_);
    const State previous = state_;
    state_ = State::kStopped;
    if (previous != State::kRunning) {
      return;
    }
    Core& core = *core_;
    core.beginStopping();
    asio::post(core.acceptor.get_executor(), [core = core_] {
      error_code ignored;
      core->acceptor.close(ignored);
      core->accept_retry.cancel();
    });
    for (const auto& session : core.liveSessions()) {
      session->shutdownIfIdle();
    }
    if (const size_t busy = core.drainAndClose(core.options.drain_timeout); busy > 0) {
      log::warn(kLog, std::to_string(busy) +
                          " connection(s) still busy after the drain timeout; closing them");
    }
    for (const auto& session : core.liveSessions()) {
      session->forceClose();
    }
    work_.reset();
    for (std::thread& thread : threads_) {
      thread.join();
    }
    threads_.clear();
    core.clearSink();
    log::info(kLog, "stopped");
  }

 private:
  enum class State { kNew, kRunning, kStopped };

  static void runIoThread(Core& core) {
    for (;;) {
      try {
        core.ioc.run();
        return;
      } catch (const std::exception& e) {
        log::error(kLog, std::string("I/O thread caught: ") + e.what());
      }
    }
  }

  std::shared_ptr<Core> core_;
  std::mutex lifecycle_mu_;
  State state_ = State::kNew;
  std::atomic<uint16_t> port_{0};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

SmtpServer::SmtpServer(ServerOptions options, MessageSink sink, SmtpProbe* probe)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(sink), probe)) {}

SmtpServer::~SmtpServer() = default;

Status SmtpServer::start() {
  return impl_->start();
}

uint16_t SmtpServer::port() const {
  return impl_->port();
}

void SmtpServer::stop() {
  impl_->stop();
}

}  // namespace switchboard::smtp
