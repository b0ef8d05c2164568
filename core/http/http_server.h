// HTTP/1.1 server on Boost.Beast for ingress, APIs, /metrics and probes. Routes are exact
// (method, path) pairs, or path prefixes ending in '/'. Limits protect the process: body size
// (413), header size (431), read time (408); unknown paths 404, wrong method 405.
// Lifecycle: construct, route(), start() (binds; port 0 picks a free port), stop() (stops
// accepting, lets in-flight requests answer for up to `drain_timeout`, then closes).
// Handlers run on the server's I/O threads and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/http/http_types.h"
#include "core/result.h"

namespace switchboard::http {

struct ServerOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 8080;  // 0: any free port, see HttpServer::port()
  int threads = 1;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds drain_timeout{5000};
};

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register before start(). A path ending in '/' matches every path below it.
  void route(std::string method, std::string path, Handler handler);

  Status start();
  uint16_t port() const;
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::http
