// Memory for the dispatch engine's large tables on transparent huge pages (2 MiB).
//
// Why: at 10,000 queued items the engine's hot data (work entries, id indexes, the finished-id
// ring, the timer heap) spans tens of megabytes that every input reads at random places. With
// 4 KiB pages nearly every one of those reads also misses the TLB, and under a virtual
// machine's nested paging a TLB miss walks two page tables (up to two dozen memory accesses).
// On 2 MiB pages the whole set fits the TLB. Measured: benchmarks/README.md ("Fifth round").
//
// HugePageAllocator<T> is a std::allocator for containers that grow large (a hash index's
// slots, the timer heap): an allocation of kHugeThreshold bytes or more is mapped 2 MiB-aligned
// and marked MADV_HUGEPAGE; smaller ones come from operator new, so a small engine (a test, a
// quiet domain) pays nothing. HugeSlab hands out fixed-size blocks (chunks of work entries)
// carved from 2 MiB regions, for storage that is allocated once and kept. Where the kernel
// offers no transparent huge pages (`never`), the same memory works on normal pages.
// Thread-safe (the only shared state is an atomic byte count).
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

namespace switchboard::dispatch {

inline constexpr size_t kHugePage = size_t{2} << 20;
// From this size on an allocation gets huge pages of its own (rounded up to 2 MiB: at most
// half of it wasted).
inline constexpr size_t kHugeThreshold = size_t{1} << 20;

// 2 MiB-aligned, MADV_HUGEPAGE, zero-filled; `bytes` rounded up to 2 MiB. Throws
// std::bad_alloc when the mapping fails.
void* mapHuge(size_t bytes);
void unmapHuge(void* p, size_t bytes);
// Bytes mapped by mapHuge() and not unmapped yet, in this process (memory figures: malloc's
// statistics do not see these mappings).
size_t hugeBytesMapped();

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes >= kHugeThreshold) return static_cast<T*>(mapHuge(bytes));
    return static_cast<T*>(::operator new (bytes, std::align_val_t{alignof(T)}));
  }
  void deallocate(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes >= kHugeThreshold) return unmapHuge(p, bytes);
    ::operator delete (p, std::align_val_t{alignof(T)});
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

// Blocks of `block_bytes` (aligned to `alignment`, at most 2 MiB) from 2 MiB huge-page regions,
// kept until the slab is destroyed. The first `small_blocks` come from operator new instead,
// so that a slab that stays small maps no 2 MiB region.
class HugeSlab {
 public:
  HugeSlab(size_t block_bytes, size_t alignment, size_t small_blocks);
  ~HugeSlab();
  HugeSlab(const HugeSlab&) = delete;
  HugeSlab& operator=(const HugeSlab&) = delete;

  // Uninitialized memory for one block.
  void* allocate();

 private:
  size_t block_bytes_;
  size_t alignment_;
  size_t small_blocks_;
  size_t handed_out_ = 0;
  std::vector<void*> small_;
  std::vector<char*> regions_;
  size_t region_used_ = kHugePage;  // bytes used of regions_.back()
};

// Deleter of objects constructed in a HugeSlab block (N of them): destroys, the slab frees.
template <typename T, size_t N = 1>
struct DestroyInPlace {
  void operator()(T* p) const { std::destroy_n(p, N); }
};

}  // namespace switchboard::dispatch
