#include "core/ids.h"

#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>

namespace switchboard {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void appendHex(const unsigned char* bytes, size_t count, std::string& out) {
  for (size_t i = 0; i < count; ++i) {
    out.push_back(kHexDigits[bytes[i] >> 4]);
    out.push_back(kHexDigits[bytes[i] & 0x0f]);
  }
}

// Bumped in a child process after fork(): every thread's buffer filled before it is stale
// there, or parent and child would hand out the same ids.
std::atomic<uint64_t> g_fork_generation{0};

void onFork() {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);
}

// RAND_bytes costs about a microsecond per call in OpenSSL 3 (a DRBG lock and reseed checks)
// whatever the size, and ingress draws one or two ids per request: each thread draws 4 KiB at
// a time and hands them out. The bytes are as good as RAND_bytes' own; they sit in this
// thread's memory until used, which is fine for ids (they need uniqueness, not secrecy).
class RandomBuffer {
 public:
  void take(unsigned char* out, size_t count) {
    uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
    if (generation != generation_) {
      generation_ = generation;
      used_ = bytes_.size();
    }
    while (count > 0) {
      if (used_ == bytes_.size()) refill();
      size_t n = std::min(count, bytes_.size() - used_);
      std::memcpy(out, bytes_.data() + used_, n);
      // Handed out once: never leave a copy of a given id behind.
      std::memset(bytes_.data() + used_, 0, n);
      used_ += n;
      out += n;
      count -= n;
    }
  }

 private:
  void refill() {
    if (RAND_bytes(bytes_.data(), static_cast<int>(bytes_.size())) != 1) {
      // OpenSSL's generator failed (no entropy source): these ids need uniqueness, not
      // secrecy.
      thread_local std::mt19937_64 fallback{std::random_device{}()};
      for (unsigned char& b : bytes_) b = static_cast<unsigned char>(fallback());
    }
    used_ = 0;
  }

  std::array<unsigned char, 4096> bytes_{};
  size_t used_ = bytes_.size();
  uint64_t generation_ = 0;
};

void randomBytes(unsigned char* out, size_t count) {
  static const bool fork_handler_installed = pthread_atfork(nullptr, nullptr, &onFork) == 0;
  (void)fork_handler_installed;
  thread_local RandomBuffer buffer;
  buffer.take(out, count);
}

bool isLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool allZeros(std::string_view s) {
  return s.find_first_not_of('0') == std::string_view::npos;
}

}  // namespace

std::string randomHex(size_t digits) {
  std::string out;
  out.reserve(digits + 1);
  std::array<unsigned char, 32> bytes{};
  while (out.size() < digits) {
    size_t chunk = std::min(bytes.size(), (digits - out.size() + 1) / 2);
    randomBytes(bytes.data(), chunk);
    appendHex(bytes.data(), chunk, out);
  }
  out.resize(digits);
  return out;
}
std::string randomUuid() {
  std::array<unsigned char, 16> b{};
  randomBytes(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    appendHex(&b[i], 1, out);
  }
  return out;
}

std::optional<std::string> traceIdFromTraceparent(std::string_view value) {
  // version "-" trace-id "-" parent-id "-" flags: "00-<32 hex>-<16 hex>-<2 hex>". Later
  // versions may append "-..." fields; version ff is forbidden (W3C trace-context §3.2).
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.size() < 55) return std::nullopt;
  std::string_view version = value.substr(0, 2);
  if (!isLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" && value.size() != 55) return std::nullopt;
  if (value.size() > 55 && value[55] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  std::string_view trace_id = value.substr(3, 32);
  std::string_view parent_id = value.substr(36, 16);
  std::string_view flags = value.substr(53, 2);
  if (!isLowerHex(trace_id) || !isLowerHex(parent_id) || !isLowerHex(flags)) return std::nullopt;
  if (allZeros(trace_id) || allZeros(parent_id)) return std::nullopt;
  return std::string(trace_id);
}

std::string traceIdOrRandom(std::optional<std::string_view> traceparent) {
  if (traceparent) {
    if (auto id = traceIdFromTraceparent(*traceparent)) return std::move(*id);
  }
  return randomHex(32);
}

void setTimestamp(std::chrono::system_clock::time_point t, google::protobuf::Timestamp* out) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  out->set_seconds(seconds.count());
  out->set_nanos(static_cast<int32_t>((since_epoch - seconds).count()));
}

}  // namespace switchboard
