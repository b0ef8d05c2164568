#include "tests/integration/support/websocket_client.h"

#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

namespace switchboard::testing {
namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;
using tcp = asio::ip::tcp;

Error failure(const error_code& ec, std::string_view step) {
  return makeError(Errc::kIo, "websocket client: " + std::string(step) + ": " + ec.message());
}

}  // namespace

struct WebSocketClient::Impl {
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
};

WebSocketClient::WebSocketClient() : impl_(std::make_unique<Impl>()) {}

WebSocketClient::~WebSocketClient() {
  error_code ignored;
  impl_->ws.next_layer().close(ignored);
}

Status WebSocketClient::connect(std::string_view host, uint16_t port, std::string_view target,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) return failure(ec, "address");
  impl_->ws.next_layer().connect(tcp::endpoint(address, port), ec);
  if (ec) return failure(ec, "connect");
  impl_->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  impl_->ws.handshake(std::string(host) + ":" + std::to_string(port), target, ec);
  if (ec) return failure(ec, "handshake");
  return okStatus();
}

Status WebSocketClient::sendText(std::string_view text) {
  error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text.data(), text.size()), ec);
  if (ec) return failure(ec, "write");
  return okStatus();
}

Status WebSocketClient::sendBinary(std::string_view bytes) {
  error_code ec;
  impl_->ws.binary(true);
  impl_->ws.write(asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec) return failure(ec, "write");
  return okStatus();
}

Result<std::string> WebSocketClient::read(std::chrono::milliseconds timeout) {
  boost::beast::flat_buffer buffer;
  std::optional<error_code> result;
  impl_->ws.async_read(buffer, [&](const error_code& ec, size_t) { result = ec; });
  impl_->ioc.restart();
  impl_->ioc.run_for(timeout);
  if (!result) {
    error_code ignored;
    impl_->ws.next_layer().close(ignored);
    impl_->ioc.restart();
    impl_->ioc.run();
    return makeError(Errc::kTimeout, "websocket client: no message in time");
  }
  if (*result) return failure(*result, "read");
  return boost::beast::buffers_to_string(buffer.data());
}

uint16_t WebSocketClient::closeCode() const {
  return impl_->ws.reason().code;
}

Status WebSocketClient::close() {
  error_code ec;
  impl_->ws.close(websocket::close_code::normal, ec);
  if (ec) return failure(ec, "close");
  return okStatus();
}

}  // namespace switchboard::testing
