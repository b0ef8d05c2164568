// Hashes for deterministic ids: the same input always yields the same id, so that retries
// and replays map onto what was already done.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::crypto {

// Lowercase hex SHA-256 of `data` (64 characters).
std::string sha256Hex(std::string_view data);

// `prefix` followed by the first `hex_chars` of sha256Hex(data): "wi-3f2a...".
std::string derivedId(std::string_view prefix, std::string_view data, size_t hex_chars = 24);

}  // namespace switchboard::crypto
