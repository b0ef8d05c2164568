// HMAC for the providers' webhook signatures (Twilio: HMAC-SHA1, Meta and X: HMAC-SHA256),
// computed once per request on the ingress hot path. Pure functions, safe from any thread:
// each thread keeps one OpenSSL context per digest, set up on its first call, so that a call
// neither looks the algorithms up in OpenSSL's provider store nor allocates a context (which
// OpenSSL 3's one-shot HMAC() does every time).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace switchboard::crypto {

enum class HmacDigest { kSha1, kSha256 };

struct Mac {
  std::array<unsigned char, 64> bytes{};  // EVP_MAX_MD_SIZE
  size_t size = 0;                        // 20 for SHA-1, 32 for SHA-256

  std::string_view view() const {
    return std::string_view(reinterpret_cast<const char*>(bytes.data()), size);
  }
};

// HMAC(`digest`, key, the concatenation of `parts`). An empty key is a valid key. nullopt only
// when OpenSSL fails (no default provider).
std::optional<Mac> hmac(HmacDigest digest, std::string_view key,
                        std::span<const std::string_view> parts);

inline std::optional<Mac> hmac(HmacDigest digest, std::string_view key, std::string_view message) {
  return hmac(digest, key, std::span<const std::string_view>(&message, 1));
}

}  // namespace switchboard::crypto
