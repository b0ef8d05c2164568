#include "router/dispatch/string_index.h"

#include <cstring>
#include <utility>

namespace switchboard::dispatch {

namespace {

uint64_t load(const char* p, size_t n) {
  uint64_t word = 0;
  if (n > 0) std::memcpy(&word, p, n);
  return word;
}

// Multiply, fold the high half into the low one: every input bit reaches the low bits.
uint64_t mix(uint64_t a, uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

}  // namespace

// Ids are 20–40 bytes: two words per multiplication (wyhash-like), about half the work of
// libstdc++'s std::hash (murmur, one multiplication chain per word), which showed in profiles.
// The hash is never persisted.
uint64_t StringIndex::hashOf(std::string_view key) {
  constexpr uint64_t k0 = 0xa0761d6478bd642full;
  constexpr uint64_t k1 = 0xe7037ed1a0b428dbull;
  constexpr uint64_t k2 = 0x8ebc6af09c88c6e3ull;
  const char* p = key.data();
  size_t n = key.size();
  uint64_t h = k0 ^ (n * k2);
  while (n > 16) {
    h = mix(load(p, 8) ^ k1, load(p + 8, 8) ^ h);
    p += 16;
    n -= 16;
  }
  const uint64_t a = n >= 8 ? load(p, 8) : load(p, n);
  const uint64_t b = n > 8 ? load(p + 8, n - 8) : 0;
  return mix(k1 ^ n, mix(a ^ k1, b ^ h));
}

void StringIndex::prefetchKey(uint64_t hash) const {
  if (slots_.empty()) return;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.data == nullptr) return;
    if (slot.hash == hash) return __builtin_prefetch(slot.data);
  }
}

void StringIndex::insert(std::string_view key, uint64_t hash, uint32_t handle) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].data != nullptr) i = (i + 1) & mask;
  slots_[i] = Slot{key.data(), static_cast<uint32_t>(key.size()), handle, hash};
  ++size_;
}

bool StringIndex::erase(std::string_view key) {
  if (slots_.empty()) return false;
  const uint64_t hash = hashOf(key);
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (true) {
    const Slot& slot = slots_[i];
    if (slot.data == nullptr) return false;
    if (slot.hash == hash && slot.key() == key) break;
    i = (i + 1) & mask;
  }
  eraseAt(i);
  return true;
}

size_t StringIndex::slotOf(uint64_t hash, uint32_t handle) const {
  if (slots_.empty()) return kAbsent;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.data == nullptr) return kAbsent;
    if (slot.handle == handle && slot.hash == hash) return i;
  }
}

bool StringIndex::eraseHandle(uint64_t hash, uint32_t handle) {
  const size_t i = slotOf(hash, handle);
  if (i == kAbsent) return false;
  eraseAt(i);
  return true;
}

bool StringIndex::rekey(uint64_t hash, uint32_t handle, std::string_view key, uint32_t new_handle) {
  const size_t i = slotOf(hash, handle);
  if (i == kAbsent) return false;
  slots_[i] = Slot{key.data(), static_cast<uint32_t>(key.size()), new_handle, hash};
  return true;
}

void StringIndex::eraseAt(size_t i) {
  const size_t mask = slots_.size() - 1;
  // Backward shift: move later entries of the probe run into the hole when their home slot
  // allows it, so that lookups never need tombstones.
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots_[j].data != nullptr; j = (j + 1) & mask) {
    // Movable when its probe distance reaches back to the hole: `home` is not cyclically in
    // (hole, j]. Distances modulo the table size need no case for the wrap-around.
    const size_t from_home = (j - (slots_[j].hash & mask)) & mask;
    if (from_home >= ((j - hole) & mask)) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
}

void StringIndex::clear() {
  for (Slot& slot : slots_) slot = Slot{};
  size_ = 0;
}

void StringIndex::grow() {
  auto old = std::move(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.data == nullptr) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].data != nullptr) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace switchboard::dispatch
