// Metrics of one stage runner: records processed, replays skipped, rejects, cycle timing,
// changelog restores and output recovery. Labels are the stage name and bounded enums only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "core/metrics/metrics_registry.h"

namespace switchboard::stage {

class StageProbe {
 public:
  StageProbe(metrics::MetricsRegistry& registry, const std::string& stage);

  void recordProcessed() { processed_->Increment(); }
  void replaySkipped() { skipped_->Increment(); }
  // `reason` comes from the processor's fixed set ("undecodable_record", ...): bounded.
  void recordRejected(const std::string& reason);
  void cycleCompleted(std::chrono::duration<double> elapsed, size_t records);
  void restoreCompleted(std::chrono::duration<double> elapsed, uint64_t batches_applied);
  void outputsRecovered(uint64_t resent, uint64_t already_present);
  void kafkaRetry() { kafka_retries_->Increment(); }
  void partitionsAssigned(size_t count) { assigned_->Set(static_cast<double>(count)); }
  void commitFailed() { commit_failures_->Increment(); }

 private:
  prometheus::Counter* processed_;
  prometheus::Counter* skipped_;
  prometheus::Counter* rejected_;
  prometheus::Family<prometheus::Counter>* rejects_by_reason_;
  std::string stage_;
  prometheus::Counter* cycles_;
  prometheus::Histogram* cycle_seconds_;
  prometheus::Histogram* cycle_records_;
  prometheus::Histogram* restore_seconds_;
  prometheus::Counter* restored_batches_;
  prometheus::Counter* resent_;
  prometheus::Counter* already_present_;
  prometheus::Counter* kafka_retries_;
  prometheus::Gauge* assigned_;
  prometheus::Counter* commit_failures_;
};

}  // namespace switchboard::stage
