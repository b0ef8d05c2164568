// Loads and validates a routing policy file (YAML; format in docs/routing-policy.md). Every
// problem is reported as one Errc::kConfig error naming the file, line and column and the path
// of the offending value, e.g.
//   policy.yaml:12:32: queues[2].overflow[0].widen_to: unknown pool "tier3"
// Checked: unknown and duplicate keys, wrong types, bad durations/shifts/dates, unknown
// channels, strategies, pools, calendars and time zones, duplicate names, overflow steps that
// do not increase, filters that do not parse, empty member sets. The first problem found is
// reported. Never throws (yaml-cpp and date exceptions are caught inside).
// Stateless functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "router/policy/policy.h"

namespace switchboard::policy {

// `source_name` prefixes messages (usually the file name).
Result<Policy> parsePolicy(std::string_view yaml_text, std::string_view source_name);
// Reads `path` and parses it; an unreadable file is an Errc::kConfig error too.
Result<Policy> loadPolicyFile(const std::string& path);
// The version parsePolicy() gives the policy of `yaml_text`: 16 hex digits of a 64-bit content
// hash. Lets a reloader tell an unchanged file from a changed one without parsing it.
std::string policyContentVersion(std::string_view yaml_text);

}  // namespace switchboard::policy
