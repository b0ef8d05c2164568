#include "connectors/meta/hub_signature.h"

#include <array>
#include <cstdint>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core/crypto/hmac.h"

namespace switchboard::connectors::meta {
namespace {

constexpr std::string_view kPrefix = "sha256=";
using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

std::optional<Digest> decodeHex(std::string_view hex) {
  if (hex.size() != 2 * SHA256_DIGEST_LENGTH) return std::nullopt;
  Digest out{};
  for (size_t i = 0; i < out.size(); ++i) {
    int high = hexValue(hex[2 * i]);
    int low = hexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(high << 4 | low);
  }
  return out;
}

Digest sha256(std::string_view data) {
  Digest out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

}  // namespace

SignatureCheck checkHubSignature(std::string_view app_secret, std::string_view body,
                                 std::optional<std::string_view> header) {
  if (!header || header->empty()) return SignatureCheck::kMissing;
  std::string_view value = *header;
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (!startsWithIgnoreCase(value, kPrefix)) return SignatureCheck::kMalformed;
  std::optional<Digest> claimed = decodeHex(value.substr(kPrefix.size()));
  if (!claimed) return SignatureCheck::kMalformed;

  // An empty key is a valid HMAC key; the connector refuses to run without a secret anyway.
  std::optional<crypto::Mac> computed = crypto::hmac(crypto::HmacDigest::kSha256, app_secret, body);
  if (!computed || computed->size != claimed->size()) return SignatureCheck::kMismatch;
  return CRYPTO_memcmp(claimed->data(), computed->bytes.data(), claimed->size()) == 0
             ? SignatureCheck::kValid
             : SignatureCheck::kMismatch;
}

bool secretsEqual(std::string_view a, std::string_view b) {
  Digest da = sha256(a);
  Digest db = sha256(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

}  // namespace switchboard::connectors::meta
