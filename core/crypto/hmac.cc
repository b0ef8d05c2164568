#include "core/crypto/hmac.h"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace switchboard::crypto {
namespace {

// Fetched once: an EVP_MAC is immutable and may be shared by threads. Never freed, so that no
// static destructor races OpenSSL's own clean-up at exit.
EVP_MAC* hmacAlgorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  return mac;
}

struct MacContextFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacContext = std::unique_ptr<EVP_MAC_CTX, MacContextFree>;

// A context with its digest set (setting it fetches the digest: done once per thread).
MacContext newContext(HmacDigest digest) {
  EVP_MAC* mac = hmacAlgorithm();
  if (mac == nullptr) return nullptr;
  MacContext ctx(EVP_MAC_CTX_new(mac));
  if (!ctx) return nullptr;
  char sha1[] = "SHA1";
  char sha256[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       digest == HmacDigest::kSha1 ? sha1 : sha256, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) return nullptr;
  return ctx;
}

}  // namespace

std::optional<Mac> hmac(HmacDigest digest, std::string_view key,
                        std::span<const std::string_view> parts) {
  thread_local MacContext sha1_ctx;
  thread_local MacContext sha256_ctx;
  MacContext& ctx = digest == HmacDigest::kSha1 ? sha1_ctx : sha256_ctx;
  if (!ctx) ctx = newContext(digest);
  if (!ctx) return std::nullopt;
  // A null key would mean "the previous key" to EVP_MAC_init: an empty key needs a pointer.
  static constexpr unsigned char kEmpty[1] = {0};
  const auto* key_bytes = key.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  bool ok = EVP_MAC_init(ctx.get(), key_bytes, key.size(), nullptr) == 1;
  for (std::string_view part : parts) {
    if (!ok) break;
    if (part.empty()) continue;
    ok = EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                        part.size()) == 1;
  }
  Mac out;
  ok = ok && EVP_MAC_final(ctx.get(), out.bytes.data(), &out.size, out.bytes.size()) == 1;
  if (!ok) {
    ctx.reset();  // start over with a fresh context next time
    return std::nullopt;
  }
  return out;
}

}  // namespace switchboard::crypto
