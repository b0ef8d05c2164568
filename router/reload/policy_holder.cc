#include "router/reload/policy_holder.h"

#include <cstdlib>
#include <utility>

namespace switchboard::router {

PolicyHolder::PolicyHolder(PolicyPtr initial) : policy_(std::move(initial)) {
  if (!policy_) std::abort();  // a wiring bug: there is always a policy in force
}

PolicyPtr PolicyHolder::current() const {
  std::lock_guard lock(mutex_);
  return policy_;
}

PolicyHolder::Snapshot PolicyHolder::snapshot() const {
  std::lock_guard lock(mutex_);
  return {policy_, generation_.load(std::memory_order_relaxed)};
}

void PolicyHolder::replace(PolicyPtr next) {
  if (!next) std::abort();
  PolicyPtr old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(policy_, std::move(next));
    // Under the mutex, so that snapshot() pairs each policy with its own generation; release,
    // so that a view that sees the new number finds the new policy behind the mutex.
    generation_.fetch_add(1, std::memory_order_release);
  }
  // `old` is released here, outside the lock (the last reference may free a large policy).
}

PolicyView::PolicyView(const PolicyHolder& holder) : holder_(holder) {
  PolicyHolder::Snapshot snapshot = holder_.snapshot();
  policy_ = std::move(snapshot.policy);
  generation_ = snapshot.generation;
}

PolicyPtr PolicyView::refresh() {
  if (holder_.generation() == generation_) return nullptr;
  PolicyHolder::Snapshot snapshot = holder_.snapshot();
  generation_ = snapshot.generation;
  if (snapshot.policy == policy_) return nullptr;
  return std::exchange(policy_, std::move(snapshot.policy));
}

}  // namespace switchboard::router
