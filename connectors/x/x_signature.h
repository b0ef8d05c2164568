// X (Twitter) Account Activity API webhook signatures. The answer to a challenge-response check
// (CRC) and the x-twitter-webhooks-signature header of every POST are built the same way:
// "sha256=" + base64(HMAC-SHA256(key = the app's consumer secret, message)), the message being
// the crc_token for a CRC and the raw body bytes for a POST. Pure functions, safe from any
// thread.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::connectors::x {

// "sha256=<base64 HMAC-SHA256(consumer_secret, message)>" (standard alphabet, padded).
std::string webhookSignature(std::string_view consumer_secret, std::string_view message);

// True when `presented` is exactly webhookSignature(consumer_secret, message). The comparison
// takes the same time wherever the two differ; only a length mismatch (the length is public)
// returns early.
bool webhookSignatureMatches(std::string_view consumer_secret, std::string_view message,
                             std::string_view presented);

}  // namespace switchboard::connectors::x
