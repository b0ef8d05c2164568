#include "core/stage/stage_probe.h"

namespace switchboard::stage {

StageProbe::StageProbe(metrics::MetricsRegistry& registry, const std::string& stage)
    : stage_(stage) {
  auto& r = registry.registry();
  rejects_by_reason_ = &prometheus::BuildCounter()
                            .Name("switchboard_stage_rejects_total")
                            .Help("Input records a stage dead-lettered, by reason")
                            .Register(r);
  auto& records = prometheus::BuildCounter()
                      .Name("switchboard_stage_records_total")
                      .Help("Input records seen by a stage, by outcome")
                      .Register(r);
  processed_ = &records.Add({{"stage", stage}, {"outcome", "processed"}});
  skipped_ = &records.Add({{"stage", stage}, {"outcome", "replay_skipped"}});
  rejected_ = &records.Add({{"stage", stage}, {"outcome", "rejected"}});
  cycles_ = &prometheus::BuildCounter()
                 .Name("switchboard_stage_cycles_total")
                 .Help("Completed consume-process-produce-commit cycles")
                 .Register(r)
                 .Add({{"stage", stage}});
  cycle_seconds_ = &prometheus::BuildHistogram()
                        .Name("switchboard_stage_cycle_duration_seconds")
                        .Help("Time from poll to committed offsets for one cycle")
                        .Register(r)
                        .Add({{"stage", stage}}, prometheus::Histogram::BucketBoundaries{
                                                     0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25, 0.5, 1, 2.5, 5, 10});
  cycle_records_ = &prometheus::BuildHistogram()
                        .Name("switchboard_stage_cycle_records")
                        .Help("Input records handled per cycle")
                        .Register(r)
                        .Add({{"stage", stage}}, prometheus::Histogram::BucketBoundaries{
                                                     1, 2, 5, 10, 20, 50, 100, 200, 500, 1000});
  restore_seconds_ = &prometheus::BuildHistogram()
                          .Name("switchboard_stage_restore_duration_seconds")
                          .Help("Time to restore a task's state from the changelog on assignment")
                          .Register(r)
                          .Add({{"stage", stage}}, prometheus::Histogram::BucketBoundaries{
                                                       0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60});
  restored_batches_ = &prometheus::BuildCounter()
                           .Name("switchboard_stage_restored_batches_total")
                           .Help("Changelog batches applied while restoring state")
                           .Register(r)
                           .Add({{"stage", stage}});
  auto& recovered = prometheus::BuildCounter()
                        .Name("switchboard_stage_recovered_outputs_total")
                        .Help("Outputs of an interrupted cycle found on recovery, by result")
                        .Register(r);
  resent_ = &recovered.Add({{"stage", stage}, {"result", "resent"}});
  already_present_ = &recovered.Add({{"stage", stage}, {"result", "already_present"}});
  kafka_retries_ = &prometheus::BuildCounter()
                        .Name("switchboard_stage_kafka_retries_total")
                        .Help("Produce attempts a stage had to repeat")
                        .Register(r)
                        .Add({{"stage", stage}});
  assigned_ = &prometheus::BuildGauge()
                   .Name("switchboard_stage_assigned_partitions")
                   .Help("Task partitions this process currently owns")
                   .Register(r)
                   .Add({{"stage", stage}});
  commit_failures_ = &prometheus::BuildCounter()
                          .Name("switchboard_stage_commit_failures_total")
                          .Help("Offset commits that failed (progress is kept in the state store)")
                          .Register(r)
                          .Add({{"stage", stage}});
  lag_ = &prometheus::BuildGauge()
              .Name("switchboard_stage_consumer_lag_records")
              .Help("Records of an input partition this process owns and has not processed yet")
              .Register(r);
}

void StageProbe::consumerLag(const std::string& topic, int32_t partition, int64_t records) {
  lag_->Add({{"stage", stage_}, {"topic", topic}, {"partition", std::to_string(partition)}})
      .Set(static_cast<double>(records));
}

void StageProbe::partitionRevoked(const std::string& topic, int32_t partition) {
  prometheus::Labels labels{
      {"stage", stage_}, {"topic", topic}, {"partition", std::to_string(partition)}};
  if (lag_->Has(labels)) lag_->Remove(&lag_->Add(labels));
}

void StageProbe::recordRejected(const std::string& reason) {
  rejected_->Increment();
  rejects_by_reason_->Add({{"stage", stage_}, {"reason", reason}}).Increment();
}

void StageProbe::cycleCompleted(std::chrono::duration<double> elapsed, size_t records) {
  cycles_->Increment();
  cycle_seconds_->Observe(elapsed.count());
  cycle_records_->Observe(static_cast<double>(records));
}

void StageProbe::restoreCompleted(std::chrono::duration<double> elapsed, uint64_t batches) {
  restore_seconds_->Observe(elapsed.count());
  restored_batches_->Increment(static_cast<double>(batches));
}

void StageProbe::outputsRecovered(uint64_t resent, uint64_t already_present) {
  resent_->Increment(static_cast<double>(resent));
  already_present_->Increment(static_cast<double>(already_present));
}

}  // namespace switchboard::stage
