#include "router/dispatch/item_queue.h"

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::dispatch {
namespace {

using Item = ItemQueue::Item;

// Queue order: priority descending, then the item's order.
struct Ranked {
  int32_t priority;
  Item item;
  bool operator<(const Ranked& o) const {
    if (priority != o.priority) return priority > o.priority;
    return item < o.item;
  }
};

std::vector<uint32_t> handlesOf(const ItemQueue& queue) {
  std::vector<uint32_t> out;
  queue.forEach([&](int32_t, const Item& item) {
    out.push_back(item.handle);
    return false;
  });
  return out;
}

TEST(ItemQueueTest, OrdersByPriorityThenEnqueuedDeadlineAndId) {
  ItemQueue queue;
  const std::string a = "a", b = "b";
  queue.insert(0, Item{10, 100, a, 1});
  queue.insert(0, Item{5, 100, a, 2});    // older: before 1
  queue.insert(20, Item{30, 100, a, 3});  // higher priority: first
  queue.insert(0, Item{10, 50, b, 4});    // same enqueued_at, earlier deadline: before 1
  queue.insert(0, Item{10, 100, b, 5});   // ties but the id: after 1
  EXPECT_EQ(handlesOf(queue), (std::vector<uint32_t>{3, 2, 4, 1, 5}));
  EXPECT_EQ(queue.size(), 5u);

  EXPECT_TRUE(queue.erase(0, Item{10, 50, b, 4}));    // from the middle
  EXPECT_FALSE(queue.erase(0, Item{10, 50, b, 4}));   // no longer there
  EXPECT_FALSE(queue.erase(7, Item{10, 100, a, 1}));  // wrong priority level
  EXPECT_TRUE(queue.erase(20, Item{30, 100, a, 3}));
  EXPECT_EQ(handlesOf(queue), (std::vector<uint32_t>{2, 1, 5}));
}

TEST(ItemQueueTest, StopsWhereTheCallbackSaysSo) {
  ItemQueue queue;
  for (uint32_t i = 0; i < 5; ++i) queue.insert(0, Item{int64_t{i}, 0, {}, i});
  std::vector<uint32_t> seen;
  queue.forEach([&](int32_t, const Item& item) {
    seen.push_back(item.handle);
    return item.handle == 2;
  });
  EXPECT_EQ(seen, (std::vector<uint32_t>{0, 1, 2}));
}

TEST(ItemQueueTest, VisitsLevelByLevelSkippingTheRestOfALevelWhenAsked) {
  ItemQueue queue;
  // Priority 20: handles 0–2; priority 10: handles 3–5 (enqueued 0, 1, 2 in each).
  for (uint32_t i = 0; i < 6; ++i) {
    queue.insert(i < 3 ? 20 : 10, Item{int64_t{i % 3}, 0, {}, i});
  }
  std::vector<uint32_t> seen;
  queue.forEachByLevel([&](int32_t priority, const Item& item) {
    seen.push_back(item.handle);
    if (priority == 20) {
      return item.handle == 1 ? ItemQueue::Visit::kNextLevel : ItemQueue::Visit::kNext;
    }
    return item.handle == 4 ? ItemQueue::Visit::kStop : ItemQueue::Visit::kNext;
  });
  EXPECT_EQ(seen, (std::vector<uint32_t>{0, 1, 3, 4}));
}

// Random inserts and erases (mostly at the ends, as in the engine, but also anywhere, with
// ties and wrap-around of the rings) against a std::set.
TEST(ItemQueueTest, MatchesASortedSetUnderRandomOperations) {
  std::mt19937_64 rng(7);
  ItemQueue queue;
  std::set<Ranked> model;
  std::vector<bool> queued(4000, false);
  std::vector<std::string> ids;  // unique, as work item ids are
  for (size_t i = 0; i < queued.size(); ++i) ids.push_back("id-" + std::to_string(i));
  std::vector<Ranked> as_inserted(queued.size());
  int64_t clock = 0;
  for (int step = 0; step < 200'000; ++step) {
    const uint32_t handle = static_cast<uint32_t>(rng() % queued.size());
    if (!queued[handle]) {
      clock += static_cast<int64_t>(rng() % 3);
      // Mostly in order (the back); sometimes older (the front or the middle).
      const int64_t enqueued = rng() % 4 == 0 ? clock - static_cast<int64_t>(rng() % 200) : clock;
      const Ranked r{
          static_cast<int32_t>(rng() % 3) * 10,
          Item{enqueued, enqueued + static_cast<int64_t>(rng() % 3), ids[handle], handle}};
      queue.insert(r.priority, r.item);
      model.insert(r);
      queued[handle] = true;
      as_inserted[handle] = r;
    } else {
      // Usually the first item, like an assignment.
      const Ranked r = rng() % 2 == 0 ? *model.begin() : as_inserted[handle];
      ASSERT_TRUE(queue.erase(r.priority, r.item));
      model.erase(r);
      queued[r.item.handle] = false;
    }
    ASSERT_EQ(queue.size(), model.size());
    if (step % 997 == 0) {
      std::vector<uint32_t> expected;
      for (const Ranked& r : model) expected.push_back(r.item.handle);
      ASSERT_EQ(handlesOf(queue), expected) << "step " << step;
    }
  }
}

}  // namespace
}  // namespace switchboard::dispatch
