#include "router/stages/dispatch_state_keys.h"

namespace switchboard::router {
namespace {

std::string makeKey(std::string_view prefix, std::string_view pool_id, std::string_view id) {
  std::string key;
  key.reserve(prefix.size() + pool_id.size() + id.size() + 1);
  key.append(prefix);
  for (char c : pool_id) {
    if (c == '%') {
      key.append("%25");
    } else if (c == '/') {
      key.append("%2F");
    } else {
      key.push_back(c);
    }
  }
  key.push_back('/');
  key.append(id);
  return key;
}

}  // namespace

std::string agentStateKey(std::string_view pool_id, std::string_view agent_id) {
  return makeKey(kAgentKeyPrefix, pool_id, agent_id);
}

std::string queuedItemKey(std::string_view pool_id, std::string_view work_item_id) {
  return makeKey(kQueueKeyPrefix, pool_id, work_item_id);
}

std::string finishedItemKey(std::string_view pool_id, std::string_view work_item_id) {
  return makeKey(kDoneKeyPrefix, pool_id, work_item_id);
}

}  // namespace switchboard::router
