#include "app/router_runtime.h"

#include "app/topology.h"
#include "core/log.h"
#include "router/stages/dispatch_stage.h"
#include "router/stages/identity_stage.h"

namespace switchboard::app {

Result<std::unique_ptr<RouterRuntime>> RouterRuntime::start(const Options& options,
                                                            kafka::Producer& producer,
                                                            metrics::MetricsRegistry& metrics) {
  std::unique_ptr<RouterRuntime> runtime(new RouterRuntime());
  Topics topics = options.topics();
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
      router::IdentitySettings settings;
      settings.default_pool = options.default_pool;
      stage->processor = std::make_unique<router::IdentityStage>(topics, settings, metrics);
      so.input_topics = {topics.inbound};
    } else {
      stage->processor = std::make_unique<router::DispatchStage>(topics, metrics);
      so.input_topics = {topics.work_items, topics.agent_events};
    }
    SB_ASSIGN_OR_RETURN(
        stage->runner,
        stage::StageRunner::create(options.kafka, so, *stage->processor, producer, metrics));
    runtime->stages_.push_back(std::move(stage));
  }
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
  for (auto& s : stages_) s->runner->stop();
  for (auto& s : stages_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

}  // namespace switchboard::app
