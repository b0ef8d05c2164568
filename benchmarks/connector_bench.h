// Shared pieces of the connector normalize() benchmarks (benchmarks/*_normalize_benchmark.cc):
// golden payloads from tests/testdata, provider signatures computed in setup with OpenSSL's
// one-shot EVP_Q_mac (independently of the connectors' own signature code), and the timed loop
// that reports messages per second and heap allocations per message. Single-threaded: each
// benchmark builds its connector and request once and calls the const normalize() in a loop.
// Include after benchmarks/alloc_counter.h, in exactly one translation unit per executable.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "benchmarks/alloc_counter.h"
#include "connectors/connector.h"

namespace switchboard::bench {

// 2024-05-01T12:00:00.250Z, the same instant as the unit tests.
inline const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::time_point(std::chrono::seconds(1714564800)) +
    std::chrono::milliseconds(250);

// The bytes of tests/testdata/<channel>/<name>, as the unit tests read them. Aborts when the
// file is missing: a benchmark without its input would time nothing.
inline std::string testdata(std::string_view channel, std::string_view name) {
  std::filesystem::path path =
      std::filesystem::path(SB_SOURCE_DIR) / "tests/testdata" / channel / name;
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) {
    std::fprintf(stderr, "benchmark: cannot read %s\n", path.c_str());
    std::abort();
  }
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// HMAC(`digest`, key, message) with OpenSSL's one-shot API. Aborts when OpenSSL fails.
inline std::string hmac(const char* digest, std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  size_t size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
                mac.size(), &size) == nullptr) {
    std::fprintf(stderr, "benchmark: HMAC-%s failed\n", digest);
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

inline std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

inline std::string lowerHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

// Normalizes once outside the timed loop and returns how many messages the request gives;
// aborts unless the connector accepted it with at least one message: a refused request would
// time the error path.
inline size_t acceptedMessages(const connectors::Connector& connector,
                               const http::Request& request) {
  connectors::ConnectorResult<connectors::NormalizedBatch> result =
      connector.normalize(request, kNow);
  if (!result.has_value() || result->messages.empty()) {
    std::fprintf(
        stderr, "benchmark: %s request %s\n", std::string(connector.name()).c_str(),
        result.has_value() ? "gave no message" : ("refused: " + result.error().detail()).c_str());
    std::abort();
  }
  return result->messages.size();
}

// The timed loop: normalize() on the same request. items_per_second is messages per second
// (a request may carry several); allocs_per_message counts heap allocations per message.
inline void runNormalize(benchmark::State& state, const connectors::Connector& connector,
                         const http::Request& request) {
  const size_t messages_per_request = acceptedMessages(connector, request);
  const uint64_t start = allocationCount();
  for (auto _ : state) {
    connectors::ConnectorResult<connectors::NormalizedBatch> result =
        connector.normalize(request, kNow);
    benchmark::DoNotOptimize(result);
  }
  const int64_t messages = state.iterations() * static_cast<int64_t>(messages_per_request);
  state.counters["allocs_per_message"] =
      static_cast<double>(allocationCount() - start) / static_cast<double>(messages);
  state.counters["messages_per_request"] = static_cast<double>(messages_per_request);
  state.counters["body_bytes"] = static_cast<double>(request.body.size());
  state.SetItemsProcessed(messages);
}

}  // namespace switchboard::bench
