// ItemQueue: the waiting items of one item group of the dispatch engine, in queue order
// (policy::QueueRankKey: priority descending, then enqueued_at, sla_deadline, id).
//
// Why not a std::set: nearly every change happens at one end. Within one priority level, items
// arrive in enqueued_at order (arrivals, items crossing an overflow step) or in deadline order
// (items entering the SLA-risk window), so they go to the back; the engine takes the first
// waiting item, from the front; and a timer fires on the oldest items of a group, at its front
// (an item crossing an overflow step or entering the risk window leaves a group made of the
// items that waited less). So each priority level is a sorted ring buffer: appending, taking
// the front and removing it cost O(1) and touch one or two cache lines, where a red-black tree
// rebalances nodes scattered over the heap. Elsewhere (an item handed back after a rejection,
// queues with different overflow delays feeding one group) an insert or removal finds its place
// by binary search and shifts the shorter side of the ring.
//
// Not thread-safe; belongs to its DispatchEngine.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace switchboard::dispatch {

class ItemQueue {
 public:
  struct Item {
    int64_t enqueued_ns = 0;
    int64_t deadline_ns = 0;
    std::string_view id;  // ties; the caller keeps the characters while the item is queued
    uint32_t handle = 0;  // the caller's record
    bool declined = false;
    // Queue order within one priority level.
    bool operator<(const Item& o) const {
      if (enqueued_ns != o.enqueued_ns) return enqueued_ns < o.enqueued_ns;
      if (deadline_ns != o.deadline_ns) return deadline_ns < o.deadline_ns;
      return id < o.id;
    }
  };

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // `item` must not be queued already (handles are unique).
  void insert(int32_t priority, const Item& item);
  // Removes `item` (as inserted, with the same priority); false when absent.
  bool erase(int32_t priority, const Item& item);
  void clear();

  // What forEachByLevel()'s callback wants next.
  enum class Visit { kNext, kNextLevel, kStop };
  // Calls fn(priority, item) for the items in queue order: the next item, the first item of
  // the next priority level, or none after it, as fn returns.
  template <typename Fn>
  void forEachByLevel(Fn fn) const {
    for (const Level& level : levels_) {
      for (size_t i = 0; i < level.size; ++i) {
        const Visit next = fn(level.priority, level.at(i));
        if (next == Visit::kStop) return;
        if (next == Visit::kNextLevel) break;
      }
    }
  }

  // Calls fn(priority, item) for the items in queue order until it returns true.
  template <typename Fn>
  void forEach(Fn fn) const {
    for (const Level& level : levels_) {
      for (size_t i = 0; i < level.size; ++i) {
        if (fn(level.priority, level.at(i))) return;
      }
    }
  }

 private:
  // One priority level: a ring buffer sorted in queue order (capacity a power of two).
  struct Level {
    int32_t priority = 0;
    std::vector<Item> ring;
    size_t head = 0;
    size_t size = 0;

    // ring.size() - 1, kept: computing it divides by sizeof(Item) at every access.
    size_t ring_mask = 0;

    size_t mask() const { return ring_mask; }
    const Item& at(size_t i) const { return ring[(head + i) & ring_mask]; }
    Item& at(size_t i) { return ring[(head + i) & ring_mask]; }
    // The first position whose item ranks after `item`.
    size_t upperBound(const Item& item) const;
  };

  Level* find(int32_t priority);
  Level& levelFor(int32_t priority);
  static void grow(Level& level);

  std::vector<Level> levels_;  // priority descending; emptied levels are kept for reuse
  size_t size_ = 0;
};

}  // namespace switchboard::dispatch
