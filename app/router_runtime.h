// The router stages of one process (identity, dispatch), each a StageRunner on its own
// thread with its own consumer group and state directory.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "app/options.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"
#include "core/result.h"
#include "core/stage/stage_runner.h"

namespace switchboard::app {

class RouterRuntime {
 public:
  static Result<std::unique_ptr<RouterRuntime>> start(const Options& options,
                                                      kafka::Producer& producer,
                                                      metrics::MetricsRegistry& metrics);
  ~RouterRuntime();
  // Ready when every stage has its first assignment restored and is consuming.
  bool ready() const;
  // True once any stage stopped on an error (the process should exit non-zero).
  bool failed() const { return failed_.load(); }
  void stop();

 private:
  struct Stage {
    std::unique_ptr<stage::StageProcessor> processor;
    std::unique_ptr<stage::StageRunner> runner;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Stage>> stages_;
  std::atomic<bool> failed_{false};
};

}  // namespace switchboard::app
