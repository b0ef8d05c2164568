#include "router/dispatch/item_queue.h"

#include <algorithm>
#include <utility>

namespace switchboard::dispatch {

ItemQueue::Level* ItemQueue::find(int32_t priority) {
  for (Level& level : levels_) {
    if (level.priority == priority) return &level;
  }
  return nullptr;
}

ItemQueue::Level& ItemQueue::levelFor(int32_t priority) {
  auto it = levels_.begin();
  while (it != levels_.end() && it->priority > priority) ++it;
  if (it != levels_.end() && it->priority == priority) return *it;
  it = levels_.insert(it, Level{});
  it->priority = priority;
  return *it;
}

// Doubles the ring, its items moved to the start.
void ItemQueue::grow(Level& level) {
  std::vector<Item> ring(std::max<size_t>(8, level.ring.size() * 2));
  for (size_t i = 0; i < level.size; ++i) ring[i] = level.at(i);
  level.ring = std::move(ring);
  level.ring_mask = level.ring.size() - 1;
  level.head = 0;
}

size_t ItemQueue::Level::upperBound(const Item& item) const {
  size_t lo = 0;
  size_t hi = size;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (item < at(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

void ItemQueue::insert(int32_t priority, const Item& item) {
  Level& level = levelFor(priority);
  if (level.size == level.ring.size()) grow(level);
  ++size_;
  // The usual cases first: the back (arrivals), the front.
  if (level.size == 0 || level.at(level.size - 1) < item) {
    level.at(level.size++) = item;
    return;
  }
  if (item < level.at(0)) {
    level.head = (level.head + level.mask()) & level.mask();
    level.at(0) = item;
    ++level.size;
    return;
  }
  const size_t pos = level.upperBound(item);
  if (pos < level.size / 2) {
    // [0, pos) one place towards the front.
    level.head = (level.head + level.mask()) & level.mask();
    for (size_t i = 0; i < pos; ++i) level.at(i) = level.at(i + 1);
  } else {
    for (size_t i = level.size; i > pos; --i) level.at(i) = level.at(i - 1);
  }
  level.at(pos) = item;
  ++level.size;
}

bool ItemQueue::erase(int32_t priority, const Item& item) {
  Level* found = find(priority);
  if (found == nullptr || found->size == 0) return false;
  Level& level = *found;
  size_t pos;
  if (level.at(0).handle == item.handle) {
    pos = 0;
  } else if (level.at(level.size - 1).handle == item.handle) {
    pos = level.size - 1;
  } else {
    // The item is the last one not ranking after itself.
    pos = level.upperBound(item);
    if (pos == 0 || level.at(pos - 1).handle != item.handle) return false;
    --pos;
  }
  if (pos < level.size / 2) {
    for (size_t i = pos; i > 0; --i) level.at(i) = level.at(i - 1);
    level.head = (level.head + 1) & level.mask();
  } else {
    for (size_t i = pos; i + 1 < level.size; ++i) level.at(i) = level.at(i + 1);
  }
  --level.size;
  --size_;
  return true;
}

void ItemQueue::clear() {
  levels_.clear();
  size_ = 0;
}

}  // namespace switchboard::dispatch
