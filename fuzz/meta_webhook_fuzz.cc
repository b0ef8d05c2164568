// Fuzz target: the Meta webhook (POST /v1/meta/webhook: Messenger, Instagram, WhatsApp). The
// fuzzer's bytes are the JSON body; the target signs them with a known app secret
// (X-Hub-Signature-256, computed here with OpenSSL independently of the connector) so that the
// fuzzer reaches the event parsers, and sends them once unsigned. The same bytes are also tried
// as the query of the GET subscription handshake.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "connectors/meta/meta_connector.h"
#include "fuzz/fuzz_request.h"

namespace {

namespace meta = switchboard::connectors::meta;

// Made up for fuzzing, like the unit tests' secrets.
constexpr std::string_view kAppSecret = "fuzz-app-secret-not-a-secret";
constexpr std::string_view kVerifyToken = "fuzz-verify-token";

const meta::MetaConnector& connector() {
  static const meta::MetaConnector instance([] {
    meta::MetaSettings settings;
    settings.app_secret = std::string(kAppSecret);
    settings.verify_token = std::string(kVerifyToken);
    return settings;
  }());
  return instance;
}

// "sha256=" + lowercase hex HMAC-SHA256(app secret, body).
std::string hubSignature(std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), kAppSecret.data(), static_cast<int>(kAppSecret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &mac_size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < mac_size; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

switchboard::http::Request post(std::string body, const std::string* signature) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"},
                                                              {"User-Agent", "facebookexternalua"}};
  if (signature != nullptr) headers.emplace_back("X-Hub-Signature-256", *signature);
  return switchboard::fuzz::makeRequest("POST", std::string(meta::MetaConnector::kPath), "",
                                        std::move(headers), std::move(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using switchboard::fuzz::kNow;
  std::string body(switchboard::fuzz::asView(data, size));
  (void)connector().normalize(post(body, nullptr), kNow);
  std::string signature = hubSignature(body);
  (void)connector().normalize(post(body, &signature), kNow);
  (void)connector().normalize(
      switchboard::fuzz::makeRequest("GET", std::string(meta::MetaConnector::kPath), body, {}, ""),
      kNow);
  return 0;
}
