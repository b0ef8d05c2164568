// Names of Switchboard's topics. One place, so that every process agrees; a deployment may
// change the prefix (e.g. per environment) through configuration.
#pragma once

#include <string>

namespace switchboard {

struct Topics {
  // Normalized customer messages from the connectors, keyed by canonical sender address.
  std::string inbound = "switchboard.inbound.v1";
  // Work items for dispatch, keyed by pool id. Co-partitioned with agent_events.
  std::string work_items = "switchboard.work-items.v1";
  // Helpdesk → router: agent presence, capacity, accept/reject/complete. Keyed by pool id.
  std::string agent_events = "switchboard.agent-events.v1";
  // Router → helpdesks: routing decisions, keyed by pool id.
  std::string assignments = "switchboard.assignments.v1";
  // Raw input that could not be accepted or processed, with the reason.
  std::string dead_letters = "switchboard.dead-letters.v1";

  static Topics withPrefix(const std::string& prefix) {
    Topics t;
    t.inbound = prefix + "inbound.v1";
    t.work_items = prefix + "work-items.v1";
    t.agent_events = prefix + "agent-events.v1";
    t.assignments = prefix + "assignments.v1";
    t.dead_letters = prefix + "dead-letters.v1";
    return t;
  }
};

}  // namespace switchboard
