#include "core/crypto/digest.h"

#include <openssl/sha.h>

namespace switchboard::crypto {

std::string sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * SHA256_DIGEST_LENGTH, '\0');
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

std::string derivedId(std::string_view prefix, std::string_view data, size_t hex_chars) {
  std::string out(prefix);
  out.append(sha256Hex(data), 0, hex_chars);
  return out;
}

}  // namespace switchboard::crypto
