// The built-in routing policy, used when no policy file is given (`switchboard up` without
// --policy): one pool "default" of every agent with longest-idle matching, one catch-all
// queue "default" feeding it, built-in SLA targets, and no offer step (reservation_timeout
// 0s: work is assigned outright, as before routing policies existed). It is YAML text run
// through parsePolicy(), so it is validated like any file and its version is a content hash.
// Stateless; any thread.
#pragma once

#include <string_view>

#include "router/policy/policy.h"

namespace switchboard::policy {

// Policy::source of the built-in policy.
inline constexpr std::string_view kDefaultPolicySource = "<built-in>";

// The YAML text of the built-in policy (also a starting point for a file of one's own).
std::string_view defaultPolicyYaml();

// The built-in policy, parsed. Aborts if the built-in text does not load (a bug the unit tests
// catch; there is no caller that could recover from it).
Policy defaultPolicy();

}  // namespace switchboard::policy
