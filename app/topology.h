// The topics Switchboard uses and how they are created: on the embedded cluster through the
// mock API, on a real cluster through the Admin API. Co-partitioned topics (work items and
// agent events; each stage's input and its changelog) share one partition count.
#pragma once

#include <string>
#include <vector>

#include "app/options.h"
#include "core/kafka/topic_spec.h"

namespace switchboard::app {

std::string changelogTopic(const Options& options, const std::string& stage);
std::vector<kafka::TopicSpec> topicSpecs(const Options& options);

}  // namespace switchboard::app
