// Live chat sessions over a WebSocket: GET /v1/chat/ws upgrades, and each text frame is one
// chat message, exactly the JSON body of POST /v1/chat/messages. A frame takes the HTTP path
// unchanged (IngressHost::submit to the chat connector: same normalization, dead letters,
// metrics, "accepted means durable"), and its answer comes back as one text frame:
//
//   {"status":202,"message_id":"c-1","body":{"status":"accepted","event_id":"in-…",…}}
//   {"status":400,"message_id":"c-2","body":{"error":{"code":"malformed_json",…}}}
//   {"status":503,"message_id":"c-3","retry_after":5,"body":{"error":{"code":"unavailable",…}}}
//
// Acks leave in frame order and carry the frame's message_id (null when the frame has none
// that can be read; an accepted frame without one carries the generated id). A 2xx ack is
// sent only once the message is durable; a frame without an ack (the connection dropped
// first) may or may not be stored: send it again with the same message_id, the router drops
// repeats. Each frame names its visitor_id like the POST body; the upgrade's query string is
// not used. Per-frame headers are Content-Type: application/json plus the upgrade's
// User-Agent, Origin, X-Forwarded-For and Forwarded; the upgrade's traceparent is not copied
// (one trace per message, not per session).
// Socket limits (http::WebSocketOptions): frames over max_message_bytes close with 1009,
// binary frames with 1003 (both counted as rejected frames), a peer that answers no ping
// within idle_timeout is dropped, reading pauses at max_in_flight unanswered frames, and a
// server stop closes with 1001 once the acks in flight went out.
//
// Lifecycle: owned by the IngressHost, which attach()es it when the chat connector is
// enabled; the server must stop before the host is destroyed (it releases every connection
// on stop). Connections run on the server's I/O threads; acks come from the producer's.
#pragma once

#include <string>

#include "connectors/ingress/chat_websocket_probe.h"
#include "core/http/http_server.h"
#include "core/http/websocket.h"
#include "core/metrics/metrics_registry.h"

namespace switchboard::connectors {

class IngressHost;

struct ChatWebSocketOptions {
  std::string path = "/v1/chat/ws";
  // max_message_bytes defaults to the chat connector's body limit (64 KiB).
  http::WebSocketOptions socket;
};

class ChatWebSocket {
 public:
  static constexpr std::string_view kConnector = "chat";
  static constexpr std::string_view kMessagesPath = "/v1/chat/messages";

  ChatWebSocket(IngressHost& host, metrics::MetricsRegistry& metrics, ChatWebSocketOptions options);
  ChatWebSocket(const ChatWebSocket&) = delete;
  ChatWebSocket& operator=(const ChatWebSocket&) = delete;

  // Registers the WebSocket route on `server`. Call before server.start().
  void attach(http::HttpServer& server);

 private:
  class Connection;

  IngressHost& host_;
  ChatWebSocketProbe probe_;
  const ChatWebSocketOptions options_;
};

}  // namespace switchboard::connectors
