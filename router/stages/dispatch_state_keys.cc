#include "router/stages/dispatch_state_keys.h"

namespace switchboard::router {
namespace {

std::string makeKey(std::string_view prefix, std::string_view domain, std::string_view id) {
  std::string key;
  key.reserve(prefix.size() + domain.size() + id.size() + 1);
  key.append(prefix);
  for (char c : domain) {
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

std::string agentStateKey(std::string_view domain, std::string_view agent_id) {
  return makeKey(kAgentKeyPrefix, domain, agent_id);
}

std::string workStateKey(std::string_view domain, std::string_view work_item_id) {
  return makeKey(kWorkKeyPrefix, domain, work_item_id);
}

std::string finishedItemKey(std::string_view domain, std::string_view work_item_id) {
  return makeKey(kDoneKeyPrefix, domain, work_item_id);
}

}  // namespace switchboard::router
