// Shared by the fuzz targets: builds the http::Request a provider would send around the fuzzer's
// bytes, and a fixed receive time. Header-only so that each target stays one translation unit
// plus the replay driver or libFuzzer's main. Single-threaded, as libFuzzer calls targets.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http/http_types.h"

namespace switchboard::fuzz {

// 2024-05-01T12:00:00Z: a fixed clock keeps runs reproducible.
inline const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::time_point(std::chrono::seconds(1714564800));

inline std::string_view asView(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// A request as the HTTP server hands it to a connector: path and query split, target rebuilt.
inline http::Request makeRequest(std::string method, std::string path, std::string query,
                                 std::vector<std::pair<std::string, std::string>> headers,
                                 std::string body) {
  http::Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.query = std::move(query);
  request.target = request.path + (request.query.empty() ? "" : "?" + request.query);
  request.headers = std::move(headers);
  request.body = std::move(body);
  request.remote_address = "192.0.2.1";
  return request;
}

}  // namespace switchboard::fuzz
