// The router stages of one process (identity, context, dispatch), each a StageRunner on its
// own thread with its own consumer group and state directory, and the routing policy they
// share: loaded at start (a bad file stops the start with its file:line:col error) and
// re-read by a PolicyWatcher every --policy-reload-interval.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "app/options.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"
#include "core/result.h"
#include "core/stage/stage_runner.h"
#include "router/reload/policy_holder.h"
#include "router/reload/policy_watcher.h"

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
  // The policy in force (for the agent API's domain check).
  const router::PolicyHolder& policy() const { return *policy_; }

 private:
  struct Stage {
    std::unique_ptr<stage::StageProcessor> processor;
    std::unique_ptr<stage::StageRunner> runner;
    std::thread thread;
  };
  // Declared before the stages: destroyed after them.
  std::unique_ptr<router::PolicyHolder> policy_;
  std::unique_ptr<router::PolicyWatcher> watcher_;
  std::vector<std::unique_ptr<Stage>> stages_;
  std::atomic<bool> failed_{false};
};

}  // namespace switchboard::app
