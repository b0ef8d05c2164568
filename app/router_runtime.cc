#include "app/router_runtime.h"

#include "app/topology.h"
#include "core/log.h"
#include "router/policy/default_policy.h"
#include "router/policy/policy_loader.h"
#include "router/stages/context_stage.h"
#include "router/stages/dispatch_stage.h"
#include "router/stages/identity_stage.h"

namespace switchboard::app {

Result<std::unique_ptr<RouterRuntime>> RouterRuntime::start(const Options& options,
                                                            kafka::Producer& producer,
                                                            metrics::MetricsRegistry& metrics) {
  std::unique_ptr<RouterRuntime> runtime(new RouterRuntime());
  Topics topics = options.topics();
  router::PolicyPtr initial;
  if (options.policy_file.empty()) {
    initial = std::make_shared<const policy::Policy>(policy::defaultPolicy());
  } else {
    SB_ASSIGN_OR_RETURN(policy::Policy loaded, policy::loadPolicyFile(options.policy_file));
    initial = std::make_shared<const policy::Policy>(std::move(loaded));
  }
  log::info("router", "routing policy " + initial->source + " version " + initial->version);
  runtime->policy_ = std::make_unique<router::PolicyHolder>(std::move(initial));
  runtime->watcher_ = std::make_unique<router::PolicyWatcher>(
      *runtime->policy_, options.policy_file, metrics,
      router::PolicyWatcherOptions{.interval = options.policy_reload_interval});
  // Each stage runs on one thread, so each gets its own view: a lock-free check per call.
  auto policyFor = [holder = runtime->policy_.get()] {
    auto view = std::make_shared<router::PolicyView>(*holder);
    return [view] {
      view->refresh();
      return view->shared();
    };
  };
  for (const auto& name : options.stages) {
    auto stage = std::make_unique<Stage>();
    stage::StageOptions so;
    so.name = name;
    so.changelog_topic = changelogTopic(options, name);
    so.dead_letter_topic = topics.dead_letters;
    so.dead_letter_source = "router/" + name;
    so.group_id = options.group_prefix + name;
    so.state_dir = options.state_dir + "/" + name;
    if (name == "identity") {
      auto identity =
          std::make_unique<router::IdentityStage>(topics, router::IdentitySettings{}, metrics);
      so.input_topics = identity->inputTopics();
      stage->processor = std::move(identity);
    } else if (name == "context") {
      auto context = std::make_unique<router::ContextStage>(topics, metrics, policyFor());
      so.input_topics = context->inputTopics();
      stage->processor = std::move(context);
    } else {
      auto dispatch = std::make_unique<router::DispatchStage>(topics, metrics, policyFor());
      so.input_topics = dispatch->inputTopics();
      stage->processor = std::move(dispatch);
    }
    SB_ASSIGN_OR_RETURN(
        stage->runner,
        stage::StageRunner::create(options.kafka, so, *stage->processor, producer, metrics));
    runtime->stages_.push_back(std::move(stage));
  }
  runtime->watcher_->start();
  for (auto& stage : runtime->stages_) {
    stage->thread = std::thread([s = stage.get(), r = runtime.get()] {
      Status status = s->runner->run();
      if (!status) {
        log::error("router", "stage stopped: " + status.error().describe());
        r->failed_.store(true);
      }
    });
  }
  return runtime;
}

RouterRuntime::~RouterRuntime() {
  stop();
}

bool RouterRuntime::ready() const {
  for (const auto& s : stages_) {
    if (!s->runner->ready()) return false;
  }
  return !failed_.load();
}

void RouterRuntime::stop() {
  if (watcher_) watcher_->stop();
  for (auto& s : stages_) s->runner->stop();
  for (auto& s : stages_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

}  // namespace switchboard::app
