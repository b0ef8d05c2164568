#include "tests/integration/support/http_client.h"

#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace switchboard::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool hasHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (equalsIgnoreCase(n, name)) return true;
  }
  return false;
}

// Runs the io_context until the operation just started has completed, then readies it for the
// next one. The stream's deadline bounds every step.
void runStep(asio::io_context& io) {
  io.run();
  io.restart();
}

Error failure(const beast::error_code& ec, std::string_view step) {
  std::string message = "http client: ";
  message += step;
  message += ": ";
  message += ec.message();
  return makeError(ec == beast::error::timeout ? Errc::kTimeout : Errc::kIo, std::move(message));
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (equalsIgnoreCase(it->first, name)) return it->second;
  }
  return std::nullopt;
}

Result<HttpResponse> HttpClient::post(std::string_view host, uint16_t port, std::string_view path,
                                      std::string_view body, const HttpHeaders& headers,
                                      std::chrono::milliseconds timeout) {
  if (hasHeader(headers, "Content-Type")) {
    return request("POST", host, port, path, body, headers, timeout);
  }
  HttpHeaders with_type = headers;
  with_type.emplace_back("Content-Type", "application/json");
  return request("POST", host, port, path, body, with_type, timeout);
}

Result<HttpResponse> HttpClient::get(std::string_view host, uint16_t port, std::string_view path,
                                     const HttpHeaders& headers,
                                     std::chrono::milliseconds timeout) {
  return request("GET", host, port, path, {}, headers, timeout);
}

Result<HttpResponse> HttpClient::request(std::string_view method, std::string_view host,
                                         uint16_t port, std::string_view target,
                                         std::string_view body, const HttpHeaders& headers,
                                         std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;

  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(std::string(host), std::to_string(port), ec);
  if (ec) return failure(ec, "resolve");

  stream.expires_after(timeout);  // one deadline for connect, write and read together
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  runStep(io);
  if (ec) return failure(ec, "connect");

  beast::http::request<beast::http::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(beast::http::field::host, std::string(host) + ":" + std::to_string(port));
  req.set(beast::http::field::connection, "close");
  for (const auto& [name, value] : headers) req.insert(name, value);
  req.body() = std::string(body);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.prepare_payload();
  }

  beast::http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
  runStep(io);
  if (ec) return failure(ec, "write");

  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(64 << 20);
  beast::http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  runStep(io);
  if (ec) return failure(ec, "read");

  auto& res = parser.get();
  HttpResponse response;
  response.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(res.body());

  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return response;
}

}  // namespace switchboard::testing
