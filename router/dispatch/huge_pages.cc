#include "router/dispatch/huge_pages.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>

namespace switchboard::dispatch {

namespace {

size_t roundUp(size_t bytes, size_t to) {
  return (bytes + to - 1) / to * to;
}

std::atomic<size_t> mapped_bytes{0};

}  // namespace

void* mapHuge(size_t bytes) {
  const size_t size = roundUp(bytes, kHugePage);
  // Map one huge page more than needed and trim both ends, so that the region starts on a
  // 2 MiB boundary (the kernel backs only aligned 2 MiB ranges with huge pages).
  void* raw =
      ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = roundUp(start, kHugePage);
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t end = start + size + kHugePage;
  if (end > aligned + size) ::munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  // A hint: without transparent huge pages (or with them off) the memory still works.
  ::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  mapped_bytes.fetch_add(size, std::memory_order_relaxed);
  return reinterpret_cast<void*>(aligned);
}

void unmapHuge(void* p, size_t bytes) {
  const size_t size = roundUp(bytes, kHugePage);
  ::munmap(p, size);
  mapped_bytes.fetch_sub(size, std::memory_order_relaxed);
}

size_t hugeBytesMapped() {
  return mapped_bytes.load(std::memory_order_relaxed);
}

HugeSlab::HugeSlab(size_t block_bytes, size_t alignment, size_t small_blocks)
    : block_bytes_(roundUp(block_bytes, alignment)),
      alignment_(alignment),
      small_blocks_(small_blocks) {}

HugeSlab::~HugeSlab() {
  for (void* block : small_) ::operator delete (block, std::align_val_t{alignment_});
  for (char* region : regions_) unmapHuge(region, kHugePage);
}

void* HugeSlab::allocate() {
  ++handed_out_;
  if (handed_out_ <= small_blocks_ || block_bytes_ > kHugePage) {
    void* block = ::operator new (block_bytes_, std::align_val_t{alignment_});
    small_.push_back(block);
    return block;
  }
  if (region_used_ + block_bytes_ > kHugePage) {
    regions_.push_back(static_cast<char*>(mapHuge(kHugePage)));
    region_used_ = 0;
  }
  char* block = regions_.back() + region_used_;
  region_used_ += block_bytes_;
  return block;
}

}  // namespace switchboard::dispatch
