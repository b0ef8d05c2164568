#include "connectors/x/x_signature.h"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/crypto/hmac.h"

namespace switchboard::connectors::x {

std::string webhookSignature(std::string_view consumer_secret, std::string_view message) {
  std::optional<crypto::Mac> mac =
      crypto::hmac(crypto::HmacDigest::kSha256, consumer_secret, message);
  if (!mac) return {};  // never matches a presented signature
  // 4 output characters per 3 input bytes, padded, plus the NUL EVP_EncodeBlock writes.
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> encoded{};
  int encoded_size =
      EVP_EncodeBlock(encoded.data(), mac->bytes.data(), static_cast<int>(mac->size));
  std::string out;
  out.reserve(7 + static_cast<size_t>(encoded_size));
  out = "sha256=";
  out.append(reinterpret_cast<const char*>(encoded.data()), static_cast<size_t>(encoded_size));
  return out;
}

bool webhookSignatureMatches(std::string_view consumer_secret, std::string_view message,
                             std::string_view presented) {
  std::string expected = webhookSignature(consumer_secret, message);
  if (expected.empty() || presented.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

}  // namespace switchboard::connectors::x
