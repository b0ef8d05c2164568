// WebSocket routes of the HTTP server, in plain types so handlers never see Boost.Beast.
// The server accepts the upgrade (GET with `Upgrade: websocket` on a path registered with
// HttpServer::routeWebSocket) and owns the connection: framing, pings, limits, close handshake.
// The route's owner sees one WebSocketConnection per client and text frames in, one reply each.
//
// Lifecycle: the WebSocketHandler runs once per upgrade request and returns either a
// WebSocketConnection (the upgrade is accepted) or a Response (the upgrade is refused with it).
// onText() is called once per text frame, onClosed() exactly once when the connection ends
// (after a successful upgrade or not), then the connection object is destroyed; all three
// on the connection's I/O thread, never concurrently. The WebSocketReply may be called from any
// thread (a Kafka delivery callback), once; replies leave in frame order, whatever order they
// are called in. A reply dropped unanswered sends a JSON 500 error frame in its place.
//
// Back-pressure: at most `max_in_flight` frames may wait for their reply (or for the client to
// read it); the server stops reading the socket until one goes out.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "core/http/http_types.h"

namespace switchboard::http {

struct WebSocketOptions {
  // Larger messages close the connection with 1009 (message too big).
  size_t max_message_bytes = 64 << 10;
  // A ping is sent after half of this without traffic; a peer silent for all of it (no pong)
  // is dropped. Zero or less: no idle limit.
  std::chrono::milliseconds idle_timeout{60000};
  // Bounds the upgrade answer and the closing handshake.
  std::chrono::milliseconds handshake_timeout{10000};
  // Frames handed to the handler whose reply has not been written yet.
  size_t max_in_flight = 32;
};

// Why a WebSocket connection ended. A small fixed set, usable as a metric label.
enum class WebSocketCloseCause {
  kPeerClosed,      // the client sent a close frame or went away
  kMessageTooBig,   // a message over max_message_bytes: closed with 1009
  kBinaryFrame,     // only text frames are accepted: closed with 1003
  kIdleTimeout,     // no pong within idle_timeout
  kServerStopping,  // HttpServer::stop(): closed with 1001 once the replies in flight went out
  kError,           // handshake failure, protocol violation, socket error
};

std::string_view closeCauseName(WebSocketCloseCause cause);

// Sends the reply to one text frame. Call exactly once, from any thread.
using WebSocketReply = std::function<void(std::string text)>;

class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;
  virtual void onText(std::string&& frame, WebSocketReply reply) = 0;
  virtual void onClosed(WebSocketCloseCause cause) = 0;
};

using WebSocketAccept = std::variant<std::unique_ptr<WebSocketConnection>, Response>;

// Decides on one upgrade request: a connection to accept it, or the answer that refuses it.
using WebSocketHandler = std::function<WebSocketAccept(const Request& upgrade)>;

}  // namespace switchboard::http
