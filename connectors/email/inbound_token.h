// The shared-secret check of the email connectors that are reached over HTTP: the caller (an
// MTA's HTTP delivery hook, a script, a provider's webhook with credentials in its URL) sends
// `Authorization: Bearer <token>` or `Authorization: Basic base64(<any user>:<token>)`.
// Immutable after construction; check() runs on any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchboard::connectors::email {

class InboundToken {
 public:
  enum class Check { kMissing, kMismatch, kValid };

  explicit InboundToken(std::string_view token);

  // `authorization` is the Authorization header value, if any. The comparison takes the same
  // time wherever, and whether in length, the presented secret differs (digests are compared
  // with CRYPTO_memcmp).
  Check check(std::optional<std::string_view> authorization) const;

 private:
  std::string digest_;  // sha256Hex(token)
};

}  // namespace switchboard::connectors::email
