// Keys of the dispatch stage's records in its task state store:
//   agent/<domain>/<agent_id>      → switchboard.v1.AgentState
//   work/<domain>/<work_item_id>   → switchboard.v1.WorkState (queued, offered or in hand)
//   done/<domain>/<work_item_id>   → switchboard.v1.FinishedWork (recently finished)
// The domain segment escapes '%' and '/' (as %25 and %2F) so that a domain containing '/'
// cannot make two records share a key; the last segment needs no escaping. (Before the routing
// policy the middle segment was a pool id and waiting items lived under queue/<pool>/...; such
// records are not read any more.)
// Stateless; usable from any thread.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::router {

inline constexpr std::string_view kAgentKeyPrefix = "agent/";
inline constexpr std::string_view kWorkKeyPrefix = "work/";
inline constexpr std::string_view kDoneKeyPrefix = "done/";

std::string agentStateKey(std::string_view domain, std::string_view agent_id);
std::string workStateKey(std::string_view domain, std::string_view work_item_id);
std::string finishedItemKey(std::string_view domain, std::string_view work_item_id);

}  // namespace switchboard::router
