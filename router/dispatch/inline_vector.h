// InlineVector<T, N>: a sequence of trivially copyable T that keeps up to N elements inside the
// object and moves them to the heap when it grows beyond (and stays there). For the small lists
// of a record that a hot path reads right after the record itself (the items an agent holds):
// while small they cost no cache miss of their own, where a std::vector's buffer is a separate
// allocation somewhere else on the heap.
// Not thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace switchboard::dispatch {

template <typename T, size_t N>
class InlineVector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }

  void push_back(T value) {
    if (!spilled_ && size_ == N) {
      heap_.assign(inline_.begin(), inline_.end());
      spilled_ = true;
    }
    if (spilled_) {
      heap_.push_back(value);
    } else {
      inline_[size_] = value;
    }
    ++size_;
  }
  // Removes the element at `position`, keeping the order of the others.
  void erase(T* position) {
    std::copy(position + 1, end(), position);
    --size_;
    if (spilled_) heap_.pop_back();
  }

 private:
  T* data() { return spilled_ ? heap_.data() : inline_.data(); }
  const T* data() const { return spilled_ ? heap_.data() : inline_.data(); }

  std::array<T, N> inline_{};
  uint32_t size_ = 0;
  bool spilled_ = false;  // the elements are in heap_ (which then holds exactly size_)
  std::vector<T> heap_;
};

}  // namespace switchboard::dispatch
