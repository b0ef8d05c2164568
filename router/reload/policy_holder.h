// The routing policy in force, swapped whole on reload. Readers on the per-record path keep a
// PolicyView: while nothing changes a view costs one atomic load per use and never touches the
// holder's mutex, so dispatch and context tasks do not contend with each other or with the
// reloader. A reload publishes a new immutable Policy; readers pick it up at their next
// refresh() and keep the old one alive (shared_ptr) for as long as they still use it, e.g. to
// diff it against the new one.
//
// Lifecycle: created at start-up with the initial policy (a file, or policy::defaultPolicy()),
// outlives every view and the watcher. Thread-safe: replace() from the watcher's thread,
// current()/snapshot() and views from any thread; one PolicyView per reading thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "router/policy/policy.h"

namespace switchboard::router {

using PolicyPtr = std::shared_ptr<const policy::Policy>;

class PolicyHolder {
 public:
  // `initial` must not be null.
  explicit PolicyHolder(PolicyPtr initial);
  PolicyHolder(const PolicyHolder&) = delete;
  PolicyHolder& operator=(const PolicyHolder&) = delete;

  struct Snapshot {
    PolicyPtr policy;
    uint64_t generation = 0;
  };

  // The policy in force (takes the mutex: for occasional readers; per record use a PolicyView).
  PolicyPtr current() const;
  // The policy and its generation, read together.
  Snapshot snapshot() const;
  // 1 for the initial policy, +1 per replace(). Lock-free.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Publishes `next` (not null) as the policy in force.
  void replace(PolicyPtr next);

 private:
  mutable std::mutex mutex_;
  PolicyPtr policy_;
  std::atomic<uint64_t> generation_{1};
};

// One reader's copy of the policy in force. Not thread-safe: one per reading thread or task.
class PolicyView {
 public:
  explicit PolicyView(const PolicyHolder& holder);

  // Catches up with the holder. Returns the policy the view held before when it moved to a
  // newer one (for policy::diffPolicies(*before, view.policy())), null when nothing changed.
  // One atomic load when nothing changed.
  PolicyPtr refresh();

  const policy::Policy& policy() const { return *policy_; }
  const PolicyPtr& shared() const { return policy_; }
  uint64_t generation() const { return generation_; }

 private:
  const PolicyHolder& holder_;
  PolicyPtr policy_;
  uint64_t generation_ = 0;
};

}  // namespace switchboard::router
