#include "connectors/x/x_signature.h"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace switchboard::connectors::x {

std::string webhookSignature(std::string_view consumer_secret, std::string_view message) {
  static constexpr unsigned char kEmpty[1] = {0};
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  const void* key = consumer_secret.empty() ? static_cast<const void*>(kEmpty)
                                            : static_cast<const void*>(consumer_secret.data());
  const auto* data =
      message.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(message.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(consumer_secret.size()), data, message.size(),
           mac.data(), &mac_size) == nullptr) {
    return {};  // never matches a presented signature
  }
  // 4 output characters per 3 input bytes, padded, plus the NUL EVP_EncodeBlock writes.
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> encoded{};
  int encoded_size = EVP_EncodeBlock(encoded.data(), mac.data(), static_cast<int>(mac_size));
  std::string out = "sha256=";
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
