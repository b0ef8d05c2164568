// Durations as the policy file writes them: "90s", "2m", "24h", "1h30m", "2d". One or more
// <integer><unit> parts, units d, h, m, s (largest first, each at most once), no sign, no
// spaces. Parsing never throws; a bad text gives an Errc::kConfig error that says what was
// expected. Stateless; usable from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace switchboard::policy {

using Seconds = std::chrono::seconds;

// Longest duration accepted (about 3 years): far beyond any SLA, short enough that adding it
// to any realistic time point cannot overflow.
inline constexpr Seconds kMaxDuration = std::chrono::hours(24 * 1000);

Result<Seconds> parseDuration(std::string_view text);

// The shortest text parseDuration() reads back as `d` ("90s" → "1m30s", 0 → "0s").
std::string formatDuration(Seconds d);

}  // namespace switchboard::policy
