// Metrics of the chat WebSocket, in domain verbs. The per-message outcome of a frame is also
// counted by the ingress host under channel "chat" (it is the same request path); these series
// add what only a WebSocket has: open connections, frames refused before reaching the
// connector, and why connections end. Labels are bounded: an outcome, a rejection reason from
// the connector's fixed set or the socket's own two, a close cause (WebSocketCloseCause).
// Thread-safe (prometheus-cpp metrics are atomic).
//
//   switchboard_chat_ws_connections                 gauge, open connections
//   switchboard_chat_ws_frames_total{outcome}       accepted|rejected|unavailable
//   switchboard_chat_ws_frame_rejects_total{reason} malformed_json ..., frame_too_large,
//                                                    binary_frame
//   switchboard_chat_ws_closes_total{cause}         peer_closed, idle_timeout, ...
#pragma once

#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include "core/http/websocket.h"
#include "core/metrics/metrics_registry.h"

namespace switchboard::connectors {

class ChatWebSocketProbe {
 public:
  explicit ChatWebSocketProbe(metrics::MetricsRegistry& registry);

  void connectionOpened();
  // Also counts the frame the socket refused when `cause` is one (too big, binary).
  void connectionClosed(http::WebSocketCloseCause cause);
  void frameAccepted();
  void frameRejected(std::string_view reason);
  void frameUnavailable();

 private:
  prometheus::Gauge& connections_;
  prometheus::Counter& accepted_;
  prometheus::Counter& rejected_;
  prometheus::Counter& unavailable_;
  prometheus::Family<prometheus::Counter>& rejects_;
  prometheus::Family<prometheus::Counter>& closes_;
};

}  // namespace switchboard::connectors
