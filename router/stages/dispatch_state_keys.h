// Keys of the dispatch stage's records in its task state store:
//   agent/<pool>/<agent_id>      → switchboard.v1.AgentState
//   queue/<pool>/<work_item_id>  → switchboard.v1.WorkItem (waiting in the pool's queue)
//   done/<pool>/<work_item_id>   → switchboard.v1.FinishedWork (recently finished)
// The pool segment escapes '%' and '/' (as %25 and %2F) so that a pool id containing '/'
// cannot make two records share a key; the last segment needs no escaping.
// Stateless; usable from any thread.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::router {

inline constexpr std::string_view kAgentKeyPrefix = "agent/";
inline constexpr std::string_view kQueueKeyPrefix = "queue/";
inline constexpr std::string_view kDoneKeyPrefix = "done/";

std::string agentStateKey(std::string_view pool_id, std::string_view agent_id);
std::string queuedItemKey(std::string_view pool_id, std::string_view work_item_id);
std::string finishedItemKey(std::string_view pool_id, std::string_view work_item_id);

}  // namespace switchboard::router
