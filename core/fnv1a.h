// FNV-1a 64: a fast, stable, non-cryptographic hash of bytes, for identifiers that must be the
// same in every process and release (policy versions, email thread keys). Not for anything an
// attacker chooses against (no collision resistance); use core/crypto/digest.h there.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace switchboard {

constexpr uint64_t fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;  // offset basis
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;  // prime
  }
  return hash;
}

static_assert(fnv1a64("a") == 0xaf63dc4c8601ec8cull, "FNV-1a 64 of \"a\"");

}  // namespace switchboard
