// A topic Switchboard needs, with the settings it is created with.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace switchboard::kafka {

struct TopicSpec {
  std::string name;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  // Topic-level configs for a real cluster (cleanup.policy, retention.ms ...). The embedded
  // cluster ignores them.
  std::map<std::string, std::string> configs;
};

}  // namespace switchboard::kafka
