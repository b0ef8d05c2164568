#include "connectors/email/mailgun_signature.h"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace switchboard::connectors::email {

std::string mailgunSignature(std::string_view signing_key, std::string_view timestamp,
                             std::string_view token) {
  static constexpr unsigned char kEmpty[1] = {0};
  const std::string message = std::string(timestamp) + std::string(token);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  const void* key = signing_key.empty() ? static_cast<const void*>(kEmpty)
                                        : static_cast<const void*>(signing_key.data());
  const auto* data =
      message.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(message.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(signing_key.size()), data, message.size(),
           mac.data(), &mac_size) == nullptr) {
    return {};  // never matches a presented signature
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(mac_size * 2);
  for (unsigned int i = 0; i < mac_size; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0x0f];
  }
  return out;
}

bool mailgunSignatureMatches(std::string_view signing_key, std::string_view timestamp,
                             std::string_view token, std::string_view presented) {
  const std::string expected = mailgunSignature(signing_key, timestamp, token);
  if (expected.empty() || presented.size() != expected.size()) return false;
  std::string lower(presented);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return CRYPTO_memcmp(expected.data(), lower.data(), expected.size()) == 0;
}

bool TokenReplayCache::firstUse(std::string_view token, TimePoint expires, TimePoint now) {
  std::lock_guard lock(mutex_);
  // Entries are mostly in expiry order (Mailgun signs just before posting); one that expires
  // later than its successors only delays their removal.
  auto pop_front = [this] {
    auto found = expiry_.find(order_.front().second);
    if (found != expiry_.end() && found->second == order_.front().first) expiry_.erase(found);
    order_.pop_front();
  };
  while (!order_.empty() && order_.front().first <= now) pop_front();
  std::string key(token);
  auto found = expiry_.find(key);
  if (found != expiry_.end() && found->second > now) return false;
  while (capacity_ > 0 && expiry_.size() >= capacity_ && !order_.empty()) pop_front();
  expiry_[key] = expires;
  order_.emplace_back(expires, std::move(key));
  return true;
}

size_t TokenReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return expiry_.size();
}

}  // namespace switchboard::connectors::email
