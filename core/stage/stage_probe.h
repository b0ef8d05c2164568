// Metrics of one stage runner: records processed, replays skipped, rejects, cycle timing,
// changelog restores, output recovery and consumer lag. Labels are the stage name, bounded
// enums, and for the lag the input topic and partition (bounded by the partition count).
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
  // Records on `topic`'s `partition` not yet consumed by this process (high watermark minus
  // the next offset to process); the series goes when the partition moves away.
  void consumerLag(const std::string& topic, int32_t partition, int64_t records);
  void partitionRevoked(const std::string& topic, int32_t partition);

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
  prometheus::Family<prometheus::Gauge>* lag_;
};

}  // namespace switchboard::stage
