// Counts heap allocations (global operator new) made by the calling thread, so that a benchmark
// can report allocations per iteration next to its time. Replaces the global operator new and
// delete of the whole executable: include it from exactly one translation unit (each
// benchmarks/*_benchmark.cc is its own executable). Costs one thread-local increment per
// allocation. Allocations made with malloc() (librdkafka, RocksDB's C parts) are not counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace switchboard::bench {

inline thread_local uint64_t t_allocations = 0;

// Allocations made by this thread so far.
inline uint64_t allocationCount() {
  return t_allocations;
}

}  // namespace switchboard::bench

// Out of line, so that GCC does not see malloc() paired with delete (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
  ++switchboard::bench::t_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) {
  return ::operator new(size);
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
