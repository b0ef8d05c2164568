#include "core/ids.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
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

void randomBytes(unsigned char* out, size_t count) {
  if (RAND_bytes(out, static_cast<int>(count)) == 1) return;
  // OpenSSL's generator failed (no entropy source): these ids need uniqueness, not secrecy.
  thread_local std::mt19937_64 fallback{std::random_device{}()};
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<unsigned char>(fallback());
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
