#include "router/dispatch/string_index.h"

#include <functional>
#include <utility>

namespace switchboard::dispatch {

uint64_t StringIndex::hashOf(std::string_view key) {
  // std::hash of a string_view is a good 64-bit hash (murmur-like) on libstdc++.
  return std::hash<std::string_view>{}(key);
}

uint32_t StringIndex::find(std::string_view key, uint64_t hash) const {
  if (slots_.empty()) return kNone;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.data == nullptr) return kNone;
    if (slot.hash == hash && slot.key() == key) return slot.handle;
  }
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

bool StringIndex::eraseHandle(uint64_t hash, uint32_t handle) {
  if (slots_.empty()) return false;
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (true) {
    const Slot& slot = slots_[i];
    if (slot.data == nullptr) return false;
    if (slot.handle == handle && slot.hash == hash) break;
    i = (i + 1) & mask;
  }
  eraseAt(i);
  return true;
}

void StringIndex::eraseAt(size_t i) {
  const size_t mask = slots_.size() - 1;
  // Backward shift: move later entries of the probe run into the hole when their home slot
  // allows it, so that lookups never need tombstones.
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots_[j].data != nullptr; j = (j + 1) & mask) {
    const size_t home = slots_[j].hash & mask;
    // Movable when `home` is not cyclically in (hole, j].
    const bool in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!in_range) {
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
  std::vector<Slot> old = std::move(slots_);
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
