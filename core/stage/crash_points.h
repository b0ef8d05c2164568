// Fault injection for crash tests: SWITCHBOARD_CRASH_AT="<stage>:<point>[:<n>]" makes the
// process SIGKILL itself the n-th time (default 1st) the named stage reaches that point of
// its cycle. Points: after_state_saved, after_changelog, after_outputs, after_state_cleared,
// after_commit. Unset (the normal case), a check is one branch on a cached flag.
#pragma once

#include <string_view>

namespace switchboard::stage {

void crashPoint(std::string_view stage, std::string_view point);

}  // namespace switchboard::stage
