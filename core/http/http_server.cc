// Structure (after Boost.Beast's example/http/server/async and clean-shutdown):
//   Core     shared by the server and every session: options, routes, one io_context per I/O
//            thread, the acceptor and the shutdown state. Sessions hold it by shared_ptr, so a
//            Responder kept by a handler after the server is gone still points at a live
//            io_context.
//   Session  one connection, on the io_context it was accepted onto (round robin), unless
//            max_connections are open (then a canned 503 and close). Each
//            io_context is run by exactly one thread, so a connection's handlers never run
//            concurrently without a strand, and the threads share no scheduler lock. Reads one
//            request, hands it to a handler, writes the answer, then reads the next one: answers
//            leave in request order. Between requests it waits for the socket to be readable
//            (idle_timeout); the header and read timeouts count from then. Parser, buffer and
//            response are reused across requests.
//   Responder  a copyable function holding the session; it posts the answer onto the
//            session's io_context. After stop() has given up waiting (Core::closed) it posts
//            nothing.
//   WsSession  a connection after a WebSocket upgrade: the Session hands its socket over and
//            ends. Reads text frames, passes each to the route's WebSocketConnection, writes
//            the replies in frame order, pauses reading at max_in_flight.
// Oversized bodies: the header is read first (no body limit yet); a declared Content-Length
// over the limit, or a chunked body crossing it, goes to the route's OversizeHandler with the
// first bytes of the body, or is answered 413 by the server when the route has none.
// Shutdown: stop() marks the core `stopping` (no new connections, no new reads, answers carry
// Connection: close), closes idle connections, waits up to drain_timeout for the others to
// finish, marks it `closed`, closes whatever is left and joins the threads. Nothing is queued
// on the io_context once the threads have returned, so no handler keeps a session (and the
// core) alive in a loop.
#include "core/http/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "core/http/response_head.h"
#include "core/log.h"

namespace switchboard::http {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::string_view kLog = "http";
constexpr std::string_view kServerName = "switchboard";
// After an answer that closes the connection we wait this long (at most) for the client's FIN,
// so that request bytes we never read do not turn our close into a RST that could destroy the
// answer before the client reads it (a 413 sent while the client is still uploading).
constexpr std::chrono::milliseconds kMaxLinger{2000};
// Pause before accepting again after an accept error such as EMFILE, instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
// A connection's read buffer is shrunk back to this between requests, so that connections kept
// alive after a large request do not each keep its size.
constexpr size_t kIdleBufferBytes = 16 << 10;
// The whole answer to a connection over max_connections, written before anything is read.
constexpr std::string_view kTooManyConnections =
    "HTTP/1.1 503 Service Unavailable\r\nServer: switchboard\r\nContent-Type: application/json\r\n"
    "Retry-After: 1\r\nConnection: close\r\nContent-Length: 78\r\n\r\n"
    R"({"error":{"code":"unavailable","message":"too many connections; retry later"}})";

using BeastRequest = beast_http::request<beast_http::string_body>;

// What Core needs of a live connection, plain HTTP or WebSocket, to shut it down.
class Connection {
 public:
  virtual ~Connection() = default;
  // Any thread. Ends the connection once it has nothing left to answer.
  virtual void beginShutdown() = 0;
  // Any thread. Closes the connection whatever it is doing.
  virtual void forceClose() = 0;
};

struct OversizeRoute {
  size_t keep_bytes = 0;
  OversizeHandler handler;
};

// The handlers registered for one path.
struct PathRoutes {
  std::string path;
  std::map<std::string, Handler> by_method;
  std::map<std::string, OversizeRoute> oversize_by_method;
  std::string allow;  // "GET, POST": the Allow header of a 405
};

struct WebSocketRoute {
  WebSocketHandler handler;
  WebSocketOptions options;
};

class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(ServerOptions server_options, HttpProbe* http_probe)
      : options(std::move(server_options)),
        probe(http_probe),
        contexts(makeContexts(options.threads)),
        acceptor(contexts.front()->get_executor()),
        accept_retry(acceptor.get_executor()) {}

  // Before start(): the route table is then read-only and shared by all I/O threads.
  void addRoute(std::string method, std::string path, Handler handler) {
    PathRoutes& entry = routes_[path];
    entry.path = std::move(path);
    entry.by_method[std::move(method)] = std::move(handler);
  }

  // Before start(), like addRoute(); the path must also have a handler for `method`.
  void addOversize(std::string method, std::string path, OversizeRoute oversize) {
    routes_[path].oversize_by_method[std::move(method)] = std::move(oversize);
  }

  void addWebSocket(std::string path, WebSocketRoute route) {
    web_sockets_[std::move(path)] = std::move(route);
  }

  const WebSocketRoute* findWebSocket(const std::string& path) const {
    auto it = web_sockets_.find(path);
    return it == web_sockets_.end() ? nullptr : &it->second;
  }

  // Orders paths longest first: the first match is then the exact one or the longest prefix.
  void freezeRoutes() {
    by_length_.clear();
    for (auto& [path, entry] : routes_) {
      entry.allow.clear();
      for (const auto& [method, handler] : entry.by_method) {
        if (!entry.allow.empty()) {
          entry.allow += ", ";
        }
        entry.allow += method;
      }
      if (!entry.by_method.empty()) {
        by_length_.push_back(&entry);
      }
    }
    std::stable_sort(
        by_length_.begin(), by_length_.end(),
        [](const PathRoutes* a, const PathRoutes* b) { return a->path.size() > b->path.size(); });
  }

  // After the I/O threads are joined: releases whatever the handlers captured, even if a
  // Responder still keeps this core alive.
  void clearRoutes() {
    by_length_.clear();
    routes_.clear();
    web_sockets_.clear();
  }

  const PathRoutes* findPath(std::string_view path) const {
    for (const PathRoutes* entry : by_length_) {
      const std::string& p = entry->path;
      if (p == path || (!p.empty() && p.back() == '/' && path.starts_with(p))) {
        return entry;
      }
    }
    return nullptr;
  }

  void doAccept();

  // Returns false once the server is stopping: the caller then drops the connection.
  bool registerSession(const std::shared_ptr<Connection>& session);
  void deregisterSession(const Connection* session);
  size_t sessionCount() {
    std::lock_guard lock(mu_);
    return sessions_.size();
  }
  std::vector<std::shared_ptr<Connection>> liveSessions();

  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void refused(Refusal refusal) const {
    if (probe != nullptr) {
      probe->refused(refusal);
    }
  }
  void beginStopping() {
    std::lock_guard lock(mu_);
    stopping_.store(true, std::memory_order_release);
  }
  // Waits until every connection has closed or `timeout` passed, then refuses all further
  // answers. Returns how many connections were still open.
  size_t drainAndClose(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    sessions_gone_.wait_for(lock, timeout, [&] { return sessions_.empty(); });
    closed_.store(true);
    // A post that started before the cut is finished before this returns (see
    // postUnlessClosed); it only takes the time of one asio::post.
    while (posters_.load() != 0) {
      std::this_thread::yield();
    }
    return sessions_.size();
  }

  // Posts `fn` to `executor` unless the server has given up on its connections. A poster
  // announces itself in posters_ before it reads closed_, and drainAndClose() sets closed_
  // before it waits for posters_ to drop to zero (both sequentially consistent): a poster
  // either sees closed_ or is waited for, so nothing is posted after drainAndClose().
  // Lock-free because every answer passes here, from the threads that produce answers.
  template <typename Fn>
  bool postUnlessClosed(const asio::any_io_executor& executor, Fn&& fn) {
    posters_.fetch_add(1);
    if (closed_.load()) {
      posters_.fetch_sub(1);
      return false;
    }
    asio::post(executor, std::forward<Fn>(fn));
    posters_.fetch_sub(1);
    return true;
  }

  // The io_context for the next accepted connection (round robin). On the acceptor's thread.
  asio::io_context& nextContext() {
    asio::io_context& next = *contexts[next_context_];
    next_context_ = (next_context_ + 1) % contexts.size();
    return next;
  }

  const ServerOptions options;
  HttpProbe* const probe;  // may be null
  // One per I/O thread, each run by that thread alone (concurrency hint 1). Declared before the
  // I/O objects that use them, so they are destroyed after them.
  const std::vector<std::unique_ptr<asio::io_context>> contexts;
  tcp::acceptor acceptor;           // on contexts[0]
  asio::steady_timer accept_retry;  // same io_context as the acceptor

 private:
  static std::vector<std::unique_ptr<asio::io_context>> makeContexts(int threads) {
    std::vector<std::unique_ptr<asio::io_context>> made;
    const int count = std::max(1, threads);
    made.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      made.push_back(std::make_unique<asio::io_context>(1));
    }
    return made;
  }

  void onAccept(const error_code& ec, tcp::socket socket);
  // Over max_connections: a canned 503, then close, without reading the request.
  void refuseConnection(tcp::socket socket);

  size_t next_context_ = 0;  // on the acceptor's thread
  std::map<std::string, PathRoutes> routes_;
  std::vector<const PathRoutes*> by_length_;
  std::map<std::string, WebSocketRoute, std::less<>> web_sockets_;

  std::mutex mu_;  // guards sessions_, and changes of stopping_ and closed_
  std::condition_variable sessions_gone_;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> sessions_;
  std::atomic<bool> closed_{false};
  std::atomic<int> posters_{0};  // postUnlessClosed() calls under way
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

// What the head cannot carry: a status outside 200..999 becomes a 500, and a 204 or 304 loses
// its body.
void checkAnswer(Response& answer) {
  if (answer.status < 200 || answer.status > 999) {
    log::error(kLog, "handler answered with invalid status " + std::to_string(answer.status));
    answer = jsonError(500, errcName(Errc::kInternal), "invalid response status");
  }
  if (answer.status == 204 || answer.status == 304) {
    answer.body.clear();
  }
}

bool isHttpProtocolError(const error_code& ec) {
  return ec.category() == beast_http::make_error_code(beast_http::error::bad_method).category();
}

class Session final : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Core> core, tcp::socket socket)
      : core_(std::move(core)),
        executor_(socket.get_executor()),
        socket_(std::move(socket)),
        deadline_(executor_),
        remote_address_(remoteAddressOf(socket_)) {}

  ~Session() {
    // Normally close() has deregistered us; this covers a session dropped before it started.
    if (phase_ != Phase::kClosed) {
      core_->deregisterSession(this);
    }
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    asio::dispatch(executor_, [self = shared_from_this()] { self->doRead(); });
  }

  // Any thread. Closes the connection if it is between requests; otherwise it closes after
  // its current answer (doRead() sees the core stopping).
  void beginShutdown() override {
    asio::post(executor_, [self = shared_from_this()] {
      const bool idle_reading = self->phase_ == Phase::kReading &&
                                (!self->parser_ || !self->parser_->got_some()) &&
                                self->buffer_.size() == 0;
      if (idle_reading || self->phase_ == Phase::kLingering) {
        self->close();
      }
    });
  }

  void forceClose() override {
    asio::post(executor_, [self = shared_from_this()] { self->close(); });
  }

  // Any thread (the Responder). A no-op once the server has given up on its connections;
  // returns whether the answer was passed on.
  bool deliver(Response answer) {
    return core_->postUnlessClosed(
        executor_, [self = shared_from_this(), answer = std::move(answer)]() mutable {
          self->onAnswer(std::move(answer));
        });
  }

 private:
  enum class Phase { kReading, kHandling, kWriting, kLingering, kClosed };
  using Clock = asio::steady_timer::clock_type;

  // Shared by all copies of one Responder: answers at most once, and answers 500 if every
  // copy is dropped unanswered (a handler bug would otherwise hang the connection).
  class PendingAnswer {
   public:
    explicit PendingAnswer(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    ~PendingAnswer() {
      if (!answered_.exchange(true) && session_->deliver(jsonError(500, errcName(Errc::kInternal),
                                                                   "request was not answered"))) {
        log::error(kLog, "handler dropped its Responder without answering");
      }
    }
    PendingAnswer(const PendingAnswer&) = delete;
    PendingAnswer& operator=(const PendingAnswer&) = delete;

    void answer(Response response) {
      if (answered_.exchange(true)) {
        log::warn(kLog, "Responder called more than once; later answer ignored");
        return;
      }
      session_->deliver(std::move(response));
    }

   private:
    std::shared_ptr<Session> session_;
    std::atomic<bool> answered_{false};
  };

  // Waits for the next request's first byte under the idle timeout (pipelined bytes already
  // buffered start it at once); the header and read timeouts count from that byte, so a
  // connection kept alive for a while still gets the whole read_timeout for its request.
  void doRead() {
    if (phase_ == Phase::kClosed) {
      return;
    }
    if (core_->stopping()) {
      close();
      return;
    }
    phase_ = Phase::kReading;
    if (buffer_.size() > 0) {
      startRequest();
      return;
    }
    if (buffer_.capacity() > kIdleBufferBytes) {
      buffer_.shrink_to_fit();
    }
    armDeadline(core_->options.idle_timeout);
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](const error_code& ec) { self->onReadable(ec); });
  }

  void onReadable(const error_code& ec) {
    const bool timed_out = timed_out_;
    disarmDeadline();
    if (phase_ == Phase::kClosed) {
      return;
    }
    if (timed_out || ec || core_->stopping()) {
      close();  // idle for too long, or the server is stopping: nothing to answer
      return;
    }
    startRequest();  // bytes (or the peer's FIN, which the read then reports) are there
  }

  // The earliest positive one of the two limits, or zero (no limit).
  static std::chrono::milliseconds earliest(std::chrono::milliseconds a,
                                            std::chrono::milliseconds b) {
    const auto zero = std::chrono::milliseconds::zero();
    if (a <= zero) {
      return b;
    }
    return b <= zero ? a : std::min(a, b);
  }

  void startRequest() {
    const ServerOptions& options = core_->options;
    request_started_ = Clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    // No body limit while the header is read: a declared Content-Length over the limit is
    // recognised in onHeader(), where the route can still claim the request.
    parser_->body_limit(boost::none);
    armDeadline(earliest(options.header_timeout, options.read_timeout));
    beast_http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& ec, size_t) { self->onHeader(ec); });
  }

  // The route that claims oversized requests to this request's method and path, if any.
  const OversizeRoute* oversizeRoute() const {
    const auto& message = parser_->get();
    const std::string_view target = message.target();
    const PathRoutes* routes = core_->findPath(target.substr(0, target.find('?')));
    if (routes == nullptr) {
      return nullptr;
    }
    auto it = routes->oversize_by_method.find(std::string(message.method_string()));
    return it == routes->oversize_by_method.end() ? nullptr : &it->second;
  }

  void onHeader(const error_code& ec) {
    if (ec || phase_ == Phase::kClosed) {
      onRead(ec);
      return;
    }
    const ServerOptions& options = core_->options;
    if (options.max_header_fields > 0) {
      const auto& message = parser_->get();
      if (static_cast<size_t>(std::distance(message.begin(), message.end())) >
          options.max_header_fields) {
        disarmDeadline();
        request_version_ = message.version();
        request_keep_alive_ = false;
        core_->refused(Refusal::kTooManyHeaderFields);
        writeResponse(jsonError(431, errcName(Errc::kTooLarge),
                                "request has more than " +
                                    std::to_string(options.max_header_fields) + " header fields"));
        return;
      }
    }
    // The body gets what is left of read_timeout, counted from the request's first byte.
    if (options.read_timeout > std::chrono::milliseconds::zero()) {
      armDeadlineAt(request_started_ + options.read_timeout);
    } else {
      disarmDeadline();
    }
    const size_t max_body = options.max_body_bytes;
    const boost::optional<std::uint64_t> declared = parser_->content_length();
    if (declared && *declared > max_body) {
      if (const OversizeRoute* oversize = oversizeRoute()) {
        oversize_body_bytes_ = static_cast<size_t>(*declared);
        readOversizePrefix(*oversize);
        return;
      }
      onRead(beast_http::error::body_limit);
      return;
    }
    parser_->body_limit(static_cast<std::uint64_t>(max_body));
    beast_http::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& ec, size_t) { self->onRead(ec); });
  }

  // A Content-Length body over the limit: the bytes after the header are the body, so its
  // first `keep_bytes` are read raw (the parser would reserve the whole declared size).
  void readOversizePrefix(const OversizeRoute& oversize) {
    const size_t want = std::min(oversize.keep_bytes, oversize_body_bytes_);
    const size_t buffered = std::min(want - oversize_prefix_.size(), buffer_.size());
    const auto* data = static_cast<const char*>(buffer_.data().data());
    oversize_prefix_.append(data, buffered);
    buffer_.consume(buffered);
    if (oversize_prefix_.size() >= want) {
      handleOversize(oversize);
      return;
    }
    socket_.async_read_some(
        asio::buffer(buffer_.prepare(std::min<size_t>(want - oversize_prefix_.size(), 64 << 10))),
        [self = shared_from_this(), &oversize](const error_code& ec, size_t n) {
          if (self->phase_ == Phase::kClosed) {
            return;
          }
          self->buffer_.commit(n);
          if (ec) {
            // A timeout or a client that gave up: still record what arrived.
            self->handleOversize(oversize);
            return;
          }
          self->readOversizePrefix(oversize);
        });
  }

  // Hands an oversized request to its route; the connection closes after the answer.
  void handleOversize(const OversizeRoute& oversize) {
    disarmDeadline();
    const auto& message = parser_->get();
    request_version_ = message.version();
    request_keep_alive_ = false;
    Request request = toRequest(message);
    request.body = std::move(oversize_prefix_);
    oversize_prefix_.clear();
    if (request.body.size() > oversize.keep_bytes) {
      request.body.resize(oversize.keep_bytes);
    }
    parser_.reset();
    phase_ = Phase::kHandling;
    dispatch(
        oversize.handler, "oversized " + request.path,
        [&, body_bytes = oversize_body_bytes_](const OversizeHandler& handler, Responder respond) {
          handler(std::move(request), body_bytes, std::move(respond));
        });
  }

  void onRead(const error_code& ec) {
    const bool timed_out = timed_out_;
    disarmDeadline();
    if (phase_ == Phase::kClosed) {
      return;
    }
    if (!ec) {
      handleRequest();
      return;
    }
    // Whatever went wrong, nothing more is read from this connection.
    request_version_ = 11;
    request_keep_alive_ = false;
    if (timed_out) {
      if (parser_->got_some() || buffer_.size() > 0) {
        core_->refused(Refusal::kTimeout);
        writeResponse(jsonError(408, errcName(Errc::kTimeout), "request not received in time"));
      } else {
        close();  // an idle keep-alive connection: nothing to answer
      }
    } else if (ec == beast_http::error::body_limit) {
      if (const OversizeRoute* oversize = parser_->is_header_done() ? oversizeRoute() : nullptr) {
        // A chunked body: what the parser kept is the prefix.
        oversize_prefix_ = std::move(parser_->get().body());
        oversize_body_bytes_ = std::max(oversize_prefix_.size(), core_->options.max_body_bytes + 1);
        handleOversize(*oversize);
        return;
      }
      core_->refused(Refusal::kBodyTooLarge);
      writeResponse(jsonError(
          413, errcName(Errc::kTooLarge),
          "request body exceeds " + std::to_string(core_->options.max_body_bytes) + " bytes"));
    } else if (ec == beast_http::error::header_limit) {
      core_->refused(Refusal::kHeaderTooLarge);
      writeResponse(jsonError(
          431, errcName(Errc::kTooLarge),
          "request headers exceed " + std::to_string(core_->options.max_header_bytes) + " bytes"));
    } else if (ec == beast_http::error::end_of_stream || ec == beast_http::error::partial_message) {
      close();  // the client went away
    } else if (isHttpProtocolError(ec)) {
      core_->refused(Refusal::kMalformed);
      writeResponse(jsonError(400, errcName(Errc::kMalformedInput), "malformed HTTP request"));
    } else {
      if (ec != asio::error::operation_aborted) {
        log::debug(kLog, "read from " + remote_address_ + " failed: " + ec.message());
      }
      close();
    }
  }

  // The plain Request for a parsed message, without its body.
  Request toRequest(const BeastRequest& message) const {
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    const size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) {
      request.query = request.target.substr(question + 1);
    }
    request.headers.reserve(static_cast<size_t>(std::distance(message.begin(), message.end())));
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.remote_address = remote_address_;
    return request;
  }

  void handleRequest() {
    BeastRequest message = parser_->release();
    parser_.reset();
    request_version_ = message.version();
    request_keep_alive_ = message.keep_alive();

    Request request = toRequest(message);
    request.body = std::move(message.body());
    phase_ = Phase::kHandling;

    if (const WebSocketRoute* web_socket = core_->findWebSocket(request.path)) {
      handleWebSocket(*web_socket, std::move(message), request);
      return;
    }

    const PathRoutes* routes = core_->findPath(request.path);
    if (routes == nullptr) {
      writeResponse(jsonError(404, errcName(Errc::kNotFound), "no route for " + request.path));
      return;
    }
    auto handler = routes->by_method.find(request.method);
    if (handler == routes->by_method.end()) {
      Response answer = jsonError(405, "method_not_allowed",
                                  request.method + " is not allowed on " + request.path);
      answer.headers.emplace_back("Allow", routes->allow);
      writeResponse(std::move(answer));
      return;
    }

    dispatch(handler->second, routes->path, [&](const Handler& h, Responder respond) {
      h(std::move(request), std::move(respond));
    });
  }

  // Calls `call(handler, responder)`; a handler that throws is answered 500.
  template <typename H, typename Call>
  void dispatch(const H& handler, const std::string& what, Call&& call) {
    auto pending = std::make_shared<PendingAnswer>(shared_from_this());
    Responder respond = [pending](Response response) { pending->answer(std::move(response)); };
    try {
      call(handler, std::move(respond));
    } catch (const std::exception& e) {
      log::error(kLog, "handler for " + what + " threw: " + e.what());
      pending->answer(jsonError(500, errcName(Errc::kInternal), "internal error"));
    } catch (...) {
      log::error(kLog, "handler for " + what + " threw a non-exception");
      pending->answer(jsonError(500, errcName(Errc::kInternal), "internal error"));
    }
  }

  void handleWebSocket(const WebSocketRoute& route, BeastRequest&& message, const Request& request);

  // On the session's thread: the handler's answer arrives.
  void onAnswer(Response answer) {
    if (phase_ != Phase::kHandling) {
      return;  // the connection was closed meanwhile
    }
    writeResponse(std::move(answer));
  }

  void writeResponse(Response answer) {
    checkAnswer(answer);
    response_keep_alive_ = request_keep_alive_ && !core_->stopping();
    formatResponseHead(answer, request_version_, response_keep_alive_, response_head_);
    response_body_ = std::move(answer.body);
    phase_ = Phase::kWriting;
    armDeadline(core_->options.read_timeout);  // a client that stops reading is dropped too
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(response_head_),
                                                    asio::buffer(response_body_)};
    asio::async_write(socket_, buffers, [self = shared_from_this()](const error_code& ec, size_t) {
      self->onWrite(ec);
    });
  }

  void onWrite(const error_code& ec) {
    disarmDeadline();
    if (phase_ == Phase::kClosed) {
      return;
    }
    const bool keep_alive = response_keep_alive_;
    response_body_.clear();  // the head's buffer is kept for the next answer
    if (ec) {
      log::debug(kLog, "write to " + remote_address_ + " failed: " + ec.message());
      close();
    } else if (keep_alive) {
      doRead();
    } else {
      linger();
    }
  }

  // Half-closes, then discards what the client still sends until it closes or kMaxLinger.
  void linger() {
    if (core_->stopping()) {
      close();
      return;
    }
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    phase_ = Phase::kLingering;
    const std::chrono::milliseconds read_timeout = core_->options.read_timeout;
    armDeadline(read_timeout > std::chrono::milliseconds::zero()
                    ? std::min(read_timeout, kMaxLinger)
                    : kMaxLinger);
    discardMore();
  }

  void discardMore() {
    socket_.async_read_some(asio::buffer(buffer_.prepare(4096)),
                            [self = shared_from_this()](const error_code& ec, size_t) {
                              if (ec || self->phase_ != Phase::kLingering) {
                                self->close();
                                return;
                              }
                              self->discardMore();
                            });
  }

  void close() {
    if (phase_ == Phase::kClosed) {
      return;
    }
    phase_ = Phase::kClosed;
    disarmDeadline();
    // The wait in flight holds the session: cancel it so that the session can go.
    ++deadline_generation_;
    deadline_waiting_ = false;
    deadline_.cancel();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    parser_.reset();
    buffer_.clear();
    buffer_.shrink_to_fit();
    core_->deregisterSession(this);
  }

  // One deadline per session covers the current read, write or linger. On expiry it cancels
  // the socket's operations instead of closing it, so that a 408 can still be written.
  // Arming and disarming only move `deadline_at_`: the timer's wait stays in flight and, when
  // it fires early, waits again for the rest. A keep-alive request then costs no timer
  // operation, instead of a cancellation and a new wait for each read and write.
  void armDeadline(std::chrono::milliseconds timeout) {
    if (timeout <= std::chrono::milliseconds::zero()) {
      timed_out_ = false;
      deadline_at_ = Clock::time_point::max();  // no limit configured
      return;
    }
    armDeadlineAt(Clock::now() + timeout);
  }

  void armDeadlineAt(Clock::time_point at) {
    timed_out_ = false;
    deadline_at_ = at;
    if (!deadline_waiting_ || deadline_.expiry() > deadline_at_) {
      waitForDeadline();
    }
  }

  void disarmDeadline() {
    timed_out_ = false;
    deadline_at_ = Clock::time_point::max();
  }

  // (Re)starts the timer's wait for deadline_at_; a wait already in flight is superseded.
  void waitForDeadline() {
    deadline_.expires_at(deadline_at_);
    deadline_waiting_ = true;
    deadline_.async_wait([self = shared_from_this(),
                          generation = ++deadline_generation_](const error_code& ec) {
      if (generation != self->deadline_generation_) {
        return;  // superseded by a later wait
      }
      self->deadline_waiting_ = false;
      if (ec || self->phase_ == Phase::kClosed || self->deadline_at_ == Clock::time_point::max()) {
        return;  // disarmed: the next armDeadline() starts a new wait
      }
      if (Clock::now() < self->deadline_at_) {
        self->waitForDeadline();  // re-armed since this wait began
        return;
      }
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.cancel(ignored);
    });
  }

  // Declared first: the socket and timer must be destroyed while the io_context still exists.
  const std::shared_ptr<Core> core_;
  const asio::any_io_executor executor_;  // the connection's io_context (one thread)
  tcp::socket socket_;
  asio::steady_timer deadline_;
  const std::string remote_address_;

  // Everything below is touched only on the session's thread.
  Phase phase_ = Phase::kReading;
  boost::beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  std::string response_head_;  // status line and headers; capacity reused across answers
  std::string response_body_;  // alive while async_write runs
  bool response_keep_alive_ = false;
  std::string oversize_prefix_;  // the first bytes of an oversized body
  size_t oversize_body_bytes_ = 0;
  unsigned request_version_ = 11;
  bool request_keep_alive_ = false;
  Clock::time_point request_started_;                         // the request's first byte
  Clock::time_point deadline_at_ = Clock::time_point::max();  // max: disarmed
  bool deadline_waiting_ = false;                             // a wait of deadline_ is in flight
  uint64_t deadline_generation_ = 0;
  bool timed_out_ = false;
};

// One WebSocket connection, on the io_context of the Session that upgraded it. Replies fill
// `slots_` (one per frame handed to the handler, in frame order); the filled front moves to
// `write_queue_`, which is written one frame at a time. Reading pauses while slots plus queued
// writes reach max_in_flight. Closing: kDraining stops handing frames to the handler and sends
// the close frame once the write queue (and for a server stop, the slots) are empty; a read
// stays pending so that the peer's close reply (or its timeout) ends the connection.
class WsSession final : public Connection, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(std::shared_ptr<Core> core, tcp::socket socket, const WebSocketOptions& options,
            std::unique_ptr<WebSocketConnection> connection)
      : core_(std::move(core)),
        executor_(socket.get_executor()),
        ws_(std::move(socket)),
        options_(options),
        connection_(std::move(connection)) {}

  ~WsSession() override {
    if (state_ != State::kClosed) {
      core_->deregisterSession(this);
    }
  }

  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  // On the session's thread: answers the upgrade.
  void start(BeastRequest upgrade) {
    websocket::stream_base::timeout timeout;
    timeout.handshake_timeout = limitOrNone(options_.handshake_timeout);
    timeout.idle_timeout = limitOrNone(options_.idle_timeout);
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast_http::field::server, kServerName); }));
    ws_.read_message_max(options_.max_message_bytes);
    ws_.text(true);
    upgrade_ = std::move(upgrade);
    ws_.async_accept(upgrade_,
                     [self = shared_from_this()](const error_code& ec) { self->onAccept(ec); });
  }

  // On the session's thread: the upgrade was accepted but the server is stopping.
  void abandon() { finish(WebSocketCloseCause::kServerStopping); }

  void beginShutdown() override {
    asio::post(executor_, [self = shared_from_this()] {
      self->stop_requested_ = true;
      if (self->state_ == State::kOpen) {
        self->beginClose(websocket::close_code::going_away, WebSocketCloseCause::kServerStopping,
                         /*wait_for_replies=*/true);
      }
    });
  }

  void forceClose() override {
    asio::post(executor_, [self = shared_from_this()] {
      self->finish(self->close_cause_.value_or(WebSocketCloseCause::kServerStopping));
    });
  }

  // Any thread (a reply). A no-op once the server has given up on its connections.
  bool deliverReply(uint64_t seq, std::string text) {
    return core_->postUnlessClosed(
        executor_, [self = shared_from_this(), seq, text = std::move(text)]() mutable {
          self->onReply(seq, std::move(text));
        });
  }

 private:
  enum class State { kHandshake, kOpen, kDraining, kClosing, kClosed };

  // Shared by all copies of one WebSocketReply: replies once, and sends a JSON 500 error if
  // every copy is dropped unanswered (its slot would otherwise block every later reply).
  class PendingReply {
   public:
    PendingReply(std::shared_ptr<WsSession> session, uint64_t seq)
        : session_(std::move(session)), seq_(seq) {}
    ~PendingReply() {
      if (!answered_.exchange(true) &&
          session_->deliverReply(
              seq_, jsonError(500, errcName(Errc::kInternal), "frame was not answered").body)) {
        log::error(kLog, "WebSocket handler dropped its reply without answering");
      }
    }
    PendingReply(const PendingReply&) = delete;
    PendingReply& operator=(const PendingReply&) = delete;

    void answer(std::string text) {
      if (answered_.exchange(true)) {
        log::warn(kLog, "WebSocketReply called more than once; later reply ignored");
        return;
      }
      session_->deliverReply(seq_, std::move(text));
    }

   private:
    std::shared_ptr<WsSession> session_;
    const uint64_t seq_;
    std::atomic<bool> answered_{false};
  };

  static websocket::stream_base::duration limitOrNone(std::chrono::milliseconds limit) {
    if (limit <= std::chrono::milliseconds::zero()) {
      return websocket::stream_base::none();
    }
    return std::chrono::duration_cast<websocket::stream_base::duration>(limit);
  }

  size_t inFlight() const { return slots_.size() + write_queue_.size(); }

  void onAccept(const error_code& ec) {
    upgrade_ = {};
    if (ec) {
      log::debug(kLog, "WebSocket handshake failed: " + ec.message());
      finish(WebSocketCloseCause::kError);
      return;
    }
    if (state_ != State::kHandshake) {
      return;
    }
    state_ = State::kOpen;
    if (stop_requested_ || core_->stopping()) {
      beginClose(websocket::close_code::going_away, WebSocketCloseCause::kServerStopping, true);
      return;
    }
    doRead();
  }

  // Keeps one read pending while open and below max_in_flight, and always while closing.
  void doRead() {
    if (reading_ || state_ == State::kHandshake || state_ == State::kClosed) {
      return;
    }
    if (state_ == State::kOpen && inFlight() >= std::max<size_t>(1, options_.max_in_flight)) {
      return;  // back-pressure: resumed by onWrite()
    }
    reading_ = true;
    ws_.async_read(read_buffer_,
                   [self = shared_from_this()](const error_code& ec, size_t) { self->onRead(ec); });
  }

  void onRead(const error_code& ec) {
    reading_ = false;
    if (state_ == State::kClosed) {
      return;
    }
    if (ec) {
      finish(causeOf(ec));
      return;
    }
    std::string frame = boost::beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    if (state_ != State::kOpen) {
      doRead();  // closing: frames are no longer handed on (and never answered)
      return;
    }
    if (!ws_.got_text()) {
      beginClose(websocket::close_code::unknown_data, WebSocketCloseCause::kBinaryFrame, false);
      doRead();
      return;
    }
    const uint64_t seq = first_seq_ + slots_.size();
    slots_.emplace_back();
    auto pending = std::make_shared<PendingReply>(shared_from_this(), seq);
    WebSocketReply reply = [pending](std::string text) { pending->answer(std::move(text)); };
    try {
      connection_->onText(std::move(frame), std::move(reply));
    } catch (const std::exception& e) {
      log::error(kLog, std::string("WebSocket handler threw: ") + e.what());
      pending->answer(jsonError(500, errcName(Errc::kInternal), "internal error").body);
    }
    pending.reset();
    doRead();
  }

  void onReply(uint64_t seq, std::string text) {
    if (state_ == State::kClosed || seq < first_seq_ || seq - first_seq_ >= slots_.size()) {
      return;
    }
    slots_[seq - first_seq_] = std::move(text);
    while (!slots_.empty() && slots_.front().has_value()) {
      write_queue_.push_back(std::move(*slots_.front()));
      slots_.pop_front();
      ++first_seq_;
    }
    doWrite();
  }

  void doWrite() {
    if (writing_ || state_ == State::kClosing || state_ == State::kClosed) {
      return;
    }
    if (write_queue_.empty()) {
      maybeSendClose();
      return;
    }
    writing_ = true;
    ws_.async_write(
        asio::buffer(write_queue_.front()),
        [self = shared_from_this()](const error_code& ec, size_t) { self->onWrite(ec); });
  }

  void onWrite(const error_code& ec) {
    writing_ = false;
    if (state_ == State::kClosed) {
      return;
    }
    if (ec) {
      finish(causeOf(ec));
      return;
    }
    write_queue_.pop_front();
    doWrite();
    doRead();
  }

  // Stops handing frames on; the close frame follows once the queued replies (and, if
  // `wait_for_replies`, the ones still awaited) are written.
  void beginClose(websocket::close_code code, WebSocketCloseCause cause, bool wait_for_replies) {
    if (state_ != State::kOpen) {
      return;
    }
    state_ = State::kDraining;
    close_code_ = code;
    close_cause_ = cause;
    wait_for_replies_ = wait_for_replies;
    doWrite();
  }

  void maybeSendClose() {
    if (state_ != State::kDraining || writing_ || !write_queue_.empty() ||
        (wait_for_replies_ && !slots_.empty())) {
      return;
    }
    state_ = State::kClosing;
    slots_.clear();
    ws_.async_close(close_code_, [self = shared_from_this()](const error_code& ec) {
      if (ec) {
        self->finish(self->close_cause_.value_or(WebSocketCloseCause::kError));
      }
    });
    doRead();  // the peer's close reply completes it
  }

  WebSocketCloseCause causeOf(const error_code& ec) const {
    if (ec == websocket::error::message_too_big) {
      return WebSocketCloseCause::kMessageTooBig;
    }
    if (close_cause_) {
      return *close_cause_;
    }
    if (ec == boost::beast::error::timeout) {
      return WebSocketCloseCause::kIdleTimeout;
    }
    if (ec == websocket::error::closed || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
      return WebSocketCloseCause::kPeerClosed;
    }
    return WebSocketCloseCause::kError;
  }

  void finish(WebSocketCloseCause cause) {
    if (state_ == State::kClosed) {
      return;
    }
    state_ = State::kClosed;
    // Beast's ping/idle timer outlives a closed socket when no operation is pending (reading
    // paused); left armed it would keep stop() joining the I/O threads until it fires.
    ws_.set_option(websocket::stream_base::timeout{websocket::stream_base::none(),
                                                   websocket::stream_base::none(), false});
    error_code ignored;
    auto& socket = boost::beast::get_lowest_layer(ws_);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    slots_.clear();
    write_queue_.clear();
    read_buffer_.clear();
    // Told and released on the session's thread, before stop() can return: the connection may refer
    // to objects that do not outlive the server.
    if (std::unique_ptr<WebSocketConnection> connection = std::move(connection_)) {
      connection->onClosed(cause);
    }
    core_->deregisterSession(this);
  }

  // Declared first: the stream and its timer must be destroyed while the io_context exists.
  const std::shared_ptr<Core> core_;
  const asio::any_io_executor executor_;  // the connection's io_context (one thread)
  websocket::stream<tcp::socket> ws_;
  const WebSocketOptions options_;
  std::unique_ptr<WebSocketConnection> connection_;

  // Everything below is touched only on the session's thread.
  State state_ = State::kHandshake;
  BeastRequest upgrade_;  // alive while async_accept runs
  boost::beast::flat_buffer read_buffer_;
  bool reading_ = false;
  bool writing_ = false;
  bool stop_requested_ = false;
  uint64_t first_seq_ = 0;                        // the frame whose reply slots_.front() is
  std::deque<std::optional<std::string>> slots_;  // replies awaited, in frame order
  std::deque<std::string> write_queue_;           // front: being written
  websocket::close_code close_code_ = websocket::close_code::normal;
  std::optional<WebSocketCloseCause> close_cause_;
  bool wait_for_replies_ = false;
};

void Session::handleWebSocket(const WebSocketRoute& route, BeastRequest&& message,
                              const Request& request) {
  if (!websocket::is_upgrade(message)) {
    Response answer =
        jsonError(426, "upgrade_required", request.path + " only accepts WebSocket upgrades");
    answer.headers.emplace_back("Upgrade", "websocket");
    writeResponse(std::move(answer));
    return;
  }
  WebSocketAccept accepted;
  try {
    accepted = route.handler(request);
  } catch (const std::exception& e) {
    log::error(kLog, "WebSocket handler for " + request.path + " threw: " + e.what());
    accepted = jsonError(500, errcName(Errc::kInternal), "internal error");
  }
  if (auto* refusal = std::get_if<Response>(&accepted)) {
    writeResponse(std::move(*refusal));
    return;
  }
  auto& connection = std::get<std::unique_ptr<WebSocketConnection>>(accepted);
  if (!connection) {
    writeResponse(jsonError(500, errcName(Errc::kInternal), "internal error"));
    return;
  }
  auto ws =
      std::make_shared<WsSession>(core_, std::move(socket_), route.options, std::move(connection));
  // Registered before this session deregisters, so stop() never sees a moment without it.
  const bool registered = core_->registerSession(ws);
  close();  // the socket belongs to the WebSocket now: this only ends the HTTP session
  if (registered) {
    ws->start(std::move(message));
  } else {
    ws->abandon();
  }
}

void Core::doAccept() {
  acceptor.async_accept(nextContext(),
                        [self = shared_from_this()](const error_code& ec, tcp::socket socket) {
                          self->onAccept(ec, std::move(socket));
                        });
}

void Core::onAccept(const error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
    return;
  }
  if (ec) {
    // EMFILE and friends: keep the listener alive, try again shortly.
    log::warn(kLog, "accept failed: " + ec.message());
    accept_retry.expires_after(kAcceptRetryDelay);
    accept_retry.async_wait([self = shared_from_this()](const error_code& wait_ec) {
      if (!wait_ec && self->acceptor.is_open()) {
        self->doAccept();
      }
    });
    return;
  }
  if (options.max_connections > 0 && sessionCount() >= options.max_connections) {
    refuseConnection(std::move(socket));
    doAccept();
    return;
  }
  auto session = std::make_shared<Session>(shared_from_this(), std::move(socket));
  if (registerSession(session)) {
    session->start();
  }
  doAccept();
}

void Core::refuseConnection(tcp::socket socket) {
  refused(Refusal::kTooManyConnections);
  auto refused_socket = std::make_shared<tcp::socket>(std::move(socket));
  // A few bytes into an empty send buffer: the write completes at once.
  asio::async_write(*refused_socket, asio::buffer(kTooManyConnections),
                    [refused_socket](const error_code&, size_t) {
                      error_code ignored;
                      refused_socket->shutdown(tcp::socket::shutdown_both, ignored);
                      refused_socket->close(ignored);
                    });
}

bool Core::registerSession(const std::shared_ptr<Connection>& session) {
  std::lock_guard lock(mu_);
  if (stopping()) {
    return false;
  }
  sessions_.emplace(session.get(), session);
  return true;
}

void Core::deregisterSession(const Connection* session) {
  std::lock_guard lock(mu_);
  if (sessions_.erase(session) > 0 && sessions_.empty()) {
    sessions_gone_.notify_all();
  }
}

std::vector<std::shared_ptr<Connection>> Core::liveSessions() {
  std::vector<std::weak_ptr<Connection>> weak;
  {
    std::lock_guard lock(mu_);
    weak.reserve(sessions_.size());
    for (const auto& [key, session] : sessions_) {
      weak.push_back(session);
    }
  }
  // Locked outside the mutex: dropping a last reference runs ~Session, which takes it.
  std::vector<std::shared_ptr<Connection>> live;
  for (const auto& w : weak) {
    if (auto s = w.lock()) {
      live.push_back(std::move(s));
    }
  }
  return live;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(ServerOptions options, HttpProbe* probe)
      : core_(std::make_shared<Core>(std::move(options), probe)) {}

  ~Impl() { stop(); }

  void route(std::string method, std::string path, Handler handler) {
    std::lock_guard lock(lifecycle_mu_);
    if (state_ != State::kNew) {
      log::error(kLog, "route " + method + " " + path + " registered after start(); ignored");
      return;
    }
    core_->addRoute(std::move(method), std::move(path), std::move(handler));
  }

  void onOversize(std::string method, std::string path, size_t keep_bytes,
                  OversizeHandler handler) {
    std::lock_guard lock(lifecycle_mu_);
    if (state_ != State::kNew) {
      log::error(kLog, "oversize handler for " + path + " registered after start(); ignored");
      return;
    }
    core_->addOversize(std::move(method), std::move(path),
                       OversizeRoute{keep_bytes, std::move(handler)});
  }

  void routeWebSocket(std::string path, WebSocketHandler handler, WebSocketOptions options) {
    std::lock_guard lock(lifecycle_mu_);
    if (state_ != State::kNew) {
      log::error(kLog, "WebSocket route " + path + " registered after start(); ignored");
      return;
    }
    core_->addWebSocket(std::move(path), WebSocketRoute{std::move(handler), options});
  }

  Status start() {
    std::lock_guard lock(lifecycle_mu_);
    if (state_ != State::kNew) {
      return makeError(Errc::kInternal, "HTTP server already started or stopped");
    }
    const ServerOptions& options = core_->options;
    error_code ec;
    const asio::ip::address address = asio::ip::make_address(options.address, ec);
    if (ec) {
      return makeError(Errc::kConfig, "HTTP listen address '" + options.address +
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

    core_->freezeRoutes();
    core_->doAccept();
    threads_.reserve(core_->contexts.size());
    for (const auto& context : core_->contexts) {
      work_.push_back(asio::make_work_guard(*context));
      threads_.emplace_back([core = core_, ioc = context.get()] { runIoThread(*ioc); });
    }
    state_ = State::kRunning;
    log::info(kLog, "listening on " + endpointText(bound));
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
      session->beginShutdown();
    }
    if (const size_t busy = core.drainAndClose(core.options.drain_timeout); busy > 0) {
      log::warn(kLog, std::to_string(busy) +
                          " connection(s) still busy after the drain timeout; closing them");
    }
    for (const auto& session : core.liveSessions()) {
      session->forceClose();
    }
    // Every socket and timer is closed or about to be: the threads run out of work and return.
    work_.clear();
    for (std::thread& thread : threads_) {
      thread.join();
    }
    threads_.clear();
    core.clearRoutes();
    log::info(kLog, "stopped");
  }

 private:
  enum class State { kNew, kRunning, kStopped };

  // `core` keeps the io_context alive while the thread runs it.
  static void runIoThread(asio::io_context& ioc) {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        log::error(kLog, std::string("I/O thread caught: ") + e.what());
      }
    }
  }

  std::shared_ptr<Core> core_;
  std::mutex lifecycle_mu_;  // serializes route(), start() and stop()
  State state_ = State::kNew;
  std::atomic<uint16_t> port_{0};
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

HttpServer::HttpServer(ServerOptions options, HttpProbe* probe)
    : impl_(std::make_unique<Impl>(std::move(options), probe)) {}

HttpServer::~HttpServer() = default;

void HttpServer::route(std::string method, std::string path, Handler handler) {
  impl_->route(std::move(method), std::move(path), std::move(handler));
}

void HttpServer::onOversize(std::string method, std::string path, size_t keep_bytes,
                            OversizeHandler handler) {
  impl_->onOversize(std::move(method), std::move(path), keep_bytes, std::move(handler));
}

void HttpServer::routeWebSocket(std::string path, WebSocketHandler handler,
                                WebSocketOptions options) {
  impl_->routeWebSocket(std::move(path), std::move(handler), options);
}

Status HttpServer::start() {
  return impl_->start();
}

uint16_t HttpServer::port() const {
  return impl_->port();
}

void HttpServer::stop() {
  impl_->stop();
}

}  // namespace switchboard::http
