#include "connectors/ingress/chat_websocket_probe.h"

#include <string>

namespace switchboard::connectors {
namespace {

constexpr std::string_view kFrameTooLarge = "frame_too_large";
constexpr std::string_view kBinaryFrame = "binary_frame";

prometheus::Family<prometheus::Counter>& frames(metrics::MetricsRegistry& registry) {
  return prometheus::BuildCounter()
      .Name("switchboard_chat_ws_frames_total")
      .Help("Chat WebSocket frames by outcome (accepted, rejected, unavailable)")
      .Register(registry.registry());
}

}  // namespace

ChatWebSocketProbe::ChatWebSocketProbe(metrics::MetricsRegistry& registry)
    : connections_(prometheus::BuildGauge()
                       .Name("switchboard_chat_ws_connections")
                       .Help("Open chat WebSocket connections")
                       .Register(registry.registry())
                       .Add({})),
      accepted_(frames(registry).Add({{"outcome", "accepted"}})),
      rejected_(frames(registry).Add({{"outcome", "rejected"}})),
      unavailable_(frames(registry).Add({{"outcome", "unavailable"}})),
      rejects_(prometheus::BuildCounter()
                   .Name("switchboard_chat_ws_frame_rejects_total")
                   .Help("Chat WebSocket frames refused, by reason")
                   .Register(registry.registry())),
      closes_(prometheus::BuildCounter()
                  .Name("switchboard_chat_ws_closes_total")
                  .Help("Chat WebSocket connections ended, by cause")
                  .Register(registry.registry())) {}

void ChatWebSocketProbe::connectionOpened() {
  connections_.Increment();
}

void ChatWebSocketProbe::connectionClosed(http::WebSocketCloseCause cause) {
  connections_.Decrement();
  closes_.Add({{"cause", std::string(http::closeCauseName(cause))}}).Increment();
  if (cause == http::WebSocketCloseCause::kMessageTooBig) {
    frameRejected(kFrameTooLarge);
  } else if (cause == http::WebSocketCloseCause::kBinaryFrame) {
    frameRejected(kBinaryFrame);
  }
}

void ChatWebSocketProbe::frameAccepted() {
  accepted_.Increment();
}

void ChatWebSocketProbe::frameRejected(std::string_view reason) {
  rejected_.Increment();
  rejects_.Add({{"reason", std::string(reason)}}).Increment();
}

void ChatWebSocketProbe::frameUnavailable() {
  unavailable_.Increment();
}

}  // namespace switchboard::connectors
