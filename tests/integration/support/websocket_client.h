// A small synchronous WebSocket client (Boost.Beast) for integration tests: connect and
// upgrade, send text or binary messages, read the next message with a deadline. One
// connection per object, used from one thread.
//
//   testing::WebSocketClient ws;
//   ASSERT_TRUE(ws.connect("127.0.0.1", port, "/v1/chat/ws").has_value());
//   ws.sendText(R"({"visitor_id":"v-1","text":"hi"})");
//   auto ack = ws.read();  // the next message, or the error that ended the connection
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace switchboard::testing {

class WebSocketClient {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{15000};

  WebSocketClient();
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  Status connect(std::string_view host, uint16_t port, std::string_view target,
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  Status sendText(std::string_view text);
  Status sendBinary(std::string_view bytes);
  // kIo "closed" once the server closed the connection (see closeCode()), kTimeout.
  Result<std::string> read(std::chrono::milliseconds timeout = kDefaultTimeout);
  // The code of the server's close frame, once read() reported the close.
  uint16_t closeCode() const;
  Status close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::testing
