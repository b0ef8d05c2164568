#include "core/stage/delivery_latch.h"

namespace switchboard::stage {

void DeliveryLatch::Slot::onDelivered(const kafka::DeliveryReport& report) {
  report_ = report;
  latch_->arrived();
}

void DeliveryLatch::reset(size_t count) {
  std::lock_guard lock(mutex_);
  slots_.assign(count, Slot());
  for (auto& s : slots_) {
    s.latch_ = this;
    s.report_.err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  }
  outstanding_ = count;
}

void DeliveryLatch::abandon(size_t index) {
  slots_[index].report_.err = RD_KAFKA_RESP_ERR__FAIL;
  arrived();
}

void DeliveryLatch::arrived() {
  std::lock_guard lock(mutex_);
  if (--outstanding_ == 0) cv_.notify_all();
}

void DeliveryLatch::wait() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return outstanding_ == 0; });
}

}  // namespace switchboard::stage
