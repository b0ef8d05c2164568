// HTTP/1.1 server on Boost.Beast for ingress, APIs, /metrics and probes. Routes are exact
// (method, path) pairs, or path prefixes ending in '/'. Limits protect the process: body size
// (413), header size and header field count (431), header and whole-request read time (408),
// idle keep-alive time (closed); unknown paths 404, wrong method 405. Each refusal is counted
// by the optional HttpProbe (http_probe.h).
// WebSocket routes (routeWebSocket, see websocket.h) take over the connection after the upgrade.
// A route may also claim requests whose body is too large (onOversize), to count and record
// them itself; otherwise the server answers those 413 on its own.
// Lifecycle: construct, route(), start() (binds; port 0 picks a free port), stop() (stops
// accepting, lets in-flight requests answer for up to `drain_timeout`, then closes).
// Handlers run on the server's I/O threads and must not block. A connection serves one request
// at a time, so answers go out in request order. A Responder may be called from any thread,
// even after stop() or the server's destruction: once the server has given up on the
// connection the call does nothing. A Responder dropped without being called answers 500.
// stop() joins the I/O threads, so it must not be called from a handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/http/http_probe.h"
#include "core/http/http_types.h"
#include "core/http/websocket.h"
#include "core/result.h"

namespace switchboard::http {

struct ServerOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 8080;  // 0: any free port, see HttpServer::port()
  int threads = 1;       // I/O threads; each serves its share of the connections (round robin)
  // Open connections (plain and WebSocket). Each may hold a request of up to max_body_bytes
  // while reading it, so this times max_body_bytes bounds the memory of requests being read.
  // One more is answered 503 with Retry-After and closed at once. 0: no limit.
  size_t max_connections = 2048;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;  // request line and header fields together (431)
  size_t max_header_fields = 100;      // header fields in one request (431); 0: no limit
  // The time limits below count from the request's first byte; zero or less: no limit.
  // The request line and header must arrive within this (408): a slow-header client.
  std::chrono::milliseconds header_timeout{10000};
  // The whole request, header and body, must arrive within this (408); it also bounds writing
  // an answer.
  std::chrono::milliseconds read_timeout{30000};
  // A connection with no request under way (new, or kept alive after an answer) is closed
  // without an answer once it has sent nothing for this long.
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds drain_timeout{5000};  // stop() waits this long for answers
};

// A request whose body exceeds `max_body_bytes`, for a route that wants to see it. The body is
// not read whole: `request.body` holds its first bytes (at most the `keep_bytes` passed to
// onOversize); `body_bytes` is the declared Content-Length, or for a chunked body what had
// arrived when the limit was crossed (a lower bound). The answer should be a 413; the
// connection closes after it. Same threads and Responder contract as a Handler.
using OversizeHandler =
    std::function<void(Request&& request, size_t body_bytes, Responder respond)>;

class HttpServer {
 public:
  // `probe`, when given, must outlive the server.
  explicit HttpServer(ServerOptions options, HttpProbe* probe = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register before start() (later calls are logged and ignored). A path ending in '/'
  // matches every path below it; the longest matching path wins, then the method must match.
  void route(std::string method, std::string path, Handler handler);

  // Before start(), like route(): requests to (method, path) with a body over max_body_bytes
  // go to `handler` instead of the server's plain 413. Matching is route()'s.
  void onOversize(std::string method, std::string path, size_t keep_bytes, OversizeHandler handler);

  // Before start(): GET `path` (exact) with `Upgrade: websocket` becomes a WebSocket served by
  // `handler`; other requests to it are answered 426. On stop() each WebSocket is closed with
  // 1001 once the replies in flight went out (within drain_timeout).
  void routeWebSocket(std::string path, WebSocketHandler handler, WebSocketOptions options = {});

  // Errc::kConfig for an address that is not numeric, Errc::kIo if it cannot listen.
  Status start();
  uint16_t port() const;  // the bound port, once start() succeeded
  void stop();            // idempotent; also called by the destructor

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::http
