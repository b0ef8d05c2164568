#include "core/http/websocket.h"

namespace switchboard::http {

std::string_view closeCauseName(WebSocketCloseCause cause) {
  switch (cause) {
    case WebSocketCloseCause::kPeerClosed: return "peer_closed";
    case WebSocketCloseCause::kMessageTooBig: return "message_too_big";
    case WebSocketCloseCause::kBinaryFrame: return "binary_frame";
    case WebSocketCloseCause::kIdleTimeout: return "idle_timeout";
    case WebSocketCloseCause::kServerStopping: return "server_stopping";
    case WebSocketCloseCause::kError: return "error";
  }
  return "error";
}

}  // namespace switchboard::http
