#include "app/topology.h"

namespace switchboard::app {

std::string changelogTopic(const Options& options, const std::string& stage) {
  return options.topic_prefix + stage + ".changelog.v1";
}

std::vector<kafka::TopicSpec> topicSpecs(const Options& options) {
  Topics t = options.topics();
  const int32_t p = options.partitions;
  // Changelogs are not compacted: the stage runner writes whole snapshots regularly and
  // restores from the newest one, so time/size retention is enough and batches stay whole.
  std::map<std::string, std::string> changelog = {{"cleanup.policy", "delete"},
                                                  {"retention.ms", "604800000"}};
  std::map<std::string, std::string> events = {{"retention.ms", "604800000"}};
  return {
      {t.inbound, p, -1, events},
      {t.identity_links, p, -1, events},
      {t.customer_messages, p, -1, events},
      // Compacted on a real cluster: the newest profile per customer is the profile. (The
      // embedded cluster ignores compaction; nothing depends on it.)
      {t.profiles, p, -1, {{"cleanup.policy", "compact"}}},
      {t.customer_events, p, -1, events},
      {t.work_items, p, -1, events},
      {t.agent_events, p, -1, events},
      {t.assignments, p, -1, events},
      {t.dead_letters, 3, -1, {{"retention.ms", "2592000000"}}},
      {changelogTopic(options, "identity"), p, -1, changelog},
      {changelogTopic(options, "context"), p, -1, changelog},
      {changelogTopic(options, "dispatch"), p, -1, changelog},
  };
}

}  // namespace switchboard::app
