// Fault injection for crash tests: SWITCHBOARD_CRASH_AT="<stage>:<point>[:<n>]" makes the
// process SIGKILL itself in the n-th (default 1st) cycle of the named stage that emits
// outputs, when that cycle reaches the point. Points, in cycle order: after_state_saved,
// after_changelog, after_outputs, after_state_cleared, after_commit. Unset (the normal
// case), a check is one branch on a cached flag.
#pragma once

#include <string_view>

namespace switchboard::stage {

void crashPoint(std::string_view stage, std::string_view point, bool cycle_has_outputs);

}  // namespace switchboard::stage
