// Waits for the delivery reports of a known number of produced records. The stage runner
// produces a cycle's records, then blocks its own thread here; reports arrive on the
// producer's poll thread. Reusable: reset() before each use, never while records are in flight.
#pragma once

#include <condition_variable>
#include <mutex>
#include <vector>

#include "core/kafka/producer.h"

namespace switchboard::stage {

class DeliveryLatch {
 public:
  class Slot : public kafka::DeliveryListener {
   public:
    void onDelivered(const kafka::DeliveryReport& report) override;
    const kafka::DeliveryReport& report() const { return report_; }

   private:
    friend class DeliveryLatch;
    DeliveryLatch* latch_ = nullptr;
    kafka::DeliveryReport report_;
  };

  // Prepares `count` slots; each must be given to exactly one successful produce() or be
  // released with abandon().
  void reset(size_t count);
  Slot* slot(size_t index) { return &slots_[index]; }
  // The produce() for this slot failed synchronously: nothing will report on it.
  void abandon(size_t index);
  void wait();

 private:
  void arrived();
  std::vector<Slot> slots_;
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t outstanding_ = 0;
};

}  // namespace switchboard::stage
