// Authenticating Meta's webhook calls: the X-Hub-Signature-256 body signature and the verify
// token of the subscription handshake. Both comparisons take time independent of where the
// inputs differ. Pure functions, safe from any thread.
#pragma once

#include <optional>
#include <string_view>

namespace switchboard::connectors::meta {

enum class SignatureCheck {
  kValid,
  kMissing,    // no header, or an empty one
  kMalformed,  // not "sha256=" followed by 64 hex digits
  kMismatch,   // well-formed, but not the HMAC of this body under this secret
};

// Checks `header` (the X-Hub-Signature-256 value, "sha256=<hex>") against HMAC-SHA256(app
// secret, body) over the exact bytes received: Meta signs its own serialization (with \uXXXX
// escapes), so a re-serialized body would not match. Hex digits may be of either case.
SignatureCheck checkHubSignature(std::string_view app_secret, std::string_view body,
                                 std::optional<std::string_view> header);

// Equality of two secrets without an early exit; the lengths leak nothing either (both sides
// are hashed first).
bool secretsEqual(std::string_view a, std::string_view b);

}  // namespace switchboard::connectors::meta
