// StringIndex: a hash index from a string key to a 32-bit handle, where the key string lives in
// the caller's record (a work item id inside its WorkItem, an agent id in its record) and the
// index keeps only a pointer to its characters. Open addressing with linear probing and
// backward-shift deletion: no allocation per insert or erase (only when the table grows), no
// tombstones. The caller must erase a key before the string it points to changes or dies.
//
// Each slot keeps the key's full 64-bit hash, so a probe touches the key's characters only
// when the hashes agree. Callers that look a key up more than once (or erase it later) compute
// hashOf() once and pass it; erasing by (hash, handle) never reads the key at all, because a
// handle is in the index at most once.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "router/dispatch/huge_pages.h"

namespace switchboard::dispatch {

class StringIndex {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  static uint64_t hashOf(std::string_view key);

  // The handle of `key`, or kNone. `hash` must be hashOf(key).
  uint32_t find(std::string_view key) const { return find(key, hashOf(key)); }
  uint32_t find(std::string_view key, uint64_t hash) const {
    return findIf(key, hash, [](uint32_t) { return true; });
  }
  // The handle of `key` among those `accept(handle)` admits, or kNone: for an index whose
  // handles come in kinds (tag bits) and may hold one key once per kind.
  template <typename Accept>
  uint32_t findIf(std::string_view key, uint64_t hash, Accept accept) const {
    if (slots_.empty()) return kNone;
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.data == nullptr) return kNone;
      if (slot.hash == hash && accept(slot.handle) && slot.key() == key) return slot.handle;
    }
  }
  // Adds `*key` → handle; `*key` must not be present and must outlive its entry.
  void insert(const std::string* key, uint32_t handle) { insert(key, hashOf(*key), handle); }
  void insert(const std::string* key, uint64_t hash, uint32_t handle) {
    insert(std::string_view(*key), hash, handle);
  }
  // Adds `key` → handle; its characters must stay where they are while indexed.
  void insert(std::string_view key, uint64_t hash, uint32_t handle);
  // Removes `key`; false when absent.
  bool erase(std::string_view key);
  // Removes the entry of `handle` whose key hashes to `hash`; false when absent.
  bool eraseHandle(uint64_t hash, uint32_t handle);
  // The entry of `handle` whose key hashes to `hash` takes `key` (equal characters held
  // elsewhere, so the same hash) and `new_handle`, in its slot: one probe, where an erase and
  // an insert would probe twice and shift. False when absent.
  bool rekey(uint64_t hash, uint32_t handle, std::string_view key, uint32_t new_handle);
  // Starts loading the slot where a lookup of `hash` begins, so that the cache misses of
  // several independent lookups overlap instead of coming one after the other.
  void prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
  }
  // Once the slot is in cache: starts loading the characters of the key whose hash is `hash`
  // (the record holding them, typically), so that the misses of several lookups' records
  // overlap too.
  void prefetchKey(uint64_t hash) const;
  size_t size() const { return size_; }
  void clear();

 private:
  // The key's characters, not its std::string: one memory access less per hit. (The string
  // does not change while indexed, so its buffer does not move.)
  struct Slot {
    const char* data = nullptr;  // null: empty
    uint32_t size = 0;
    uint32_t handle = kNone;
    uint64_t hash = 0;
    std::string_view key() const { return {data, size}; }
  };
  static constexpr size_t kAbsent = SIZE_MAX;
  // The slot of (hash, handle), or kAbsent.
  size_t slotOf(uint64_t hash, uint32_t handle) const;
  void eraseAt(size_t i);
  void grow();

  // Size 0 or a power of two; a large table on huge pages (lookups land anywhere in it).
  std::vector<Slot, HugePageAllocator<Slot>> slots_;
  size_t size_ = 0;
};

}  // namespace switchboard::dispatch
