#include "core/crypto/digest.h"

#include <algorithm>
#include <array>
#include <memory>

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace switchboard::crypto {
namespace {

constexpr char kHex[] = "0123456789abcdef";
using Sha256 = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

// OpenSSL 3's one-shot SHA256() looks the algorithm up in the provider store on every call
// (a fetch under a lock), which costs more than hashing an id's few bytes. Fetched once here:
// an EVP_MD is immutable and may be shared by threads. Never freed, so that no static
// destructor races OpenSSL's own clean-up at exit.
const EVP_MD* sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct DigestContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// SHA-256 of `data`, on a context reused by the calling thread (no allocation per call).
Sha256 sha256(std::string_view data) {
  thread_local std::unique_ptr<EVP_MD_CTX, DigestContextFree> ctx(EVP_MD_CTX_new());
  Sha256 out{};
  const EVP_MD* md = sha256Algorithm();
  unsigned int size = 0;
  if (ctx != nullptr && md != nullptr && EVP_DigestInit_ex2(ctx.get(), md, nullptr) == 1 &&
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
      EVP_DigestFinal_ex(ctx.get(), out.data(), &size) == 1 && size == out.size()) {
    return out;
  }
  // Only when OpenSSL itself is broken (no default provider): the one-shot call, which
  // fetches for itself.
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

void appendHex(const Sha256& digest, size_t hex_chars, std::string& out) {
  for (size_t i = 0; i < hex_chars; ++i) {
    unsigned char byte = digest[i / 2];
    out.push_back(kHex[i % 2 == 0 ? byte >> 4 : byte & 0xf]);
  }
}

}  // namespace

std::string sha256Hex(std::string_view data) {
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  appendHex(sha256(data), 2 * SHA256_DIGEST_LENGTH, out);
  return out;
}

std::string derivedId(std::string_view prefix, std::string_view data, size_t hex_chars) {
  hex_chars = std::min<size_t>(hex_chars, 2 * SHA256_DIGEST_LENGTH);
  std::string out;
  out.reserve(prefix.size() + hex_chars);
  out.append(prefix);
  appendHex(sha256(data), hex_chars, out);
  return out;
}

}  // namespace switchboard::crypto
