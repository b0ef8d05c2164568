// Names of Switchboard's topics. One place, so that every process agrees; a deployment may
// change the prefix (e.g. per environment) through configuration.
#pragma once

#include <string>

namespace switchboard {

struct Topics {
  // Normalized customer messages from the connectors, keyed by canonical sender address.
  std::string inbound = "switchboard.inbound.v1";
  // CRM → router: CustomerProfile records keyed by customer id (compacted on a real cluster).
  std::string profiles = "switchboard.profiles.v1";
  // Internal, context → identity: AddressLink keyed by address. Co-partitioned with inbound.
  std::string identity_links = "switchboard.identity-links.v1";
  // Internal, identity → context: CustomerMessage keyed by customer id.
  std::string customer_messages = "switchboard.customer-messages.v1";
  // Internal, dispatch/identity → context: CustomerEvent keyed by customer id. Co-partitioned
  // with customer_messages and profiles.
  std::string customer_events = "switchboard.customer-events.v1";
  // Work items for dispatch, keyed by dispatch domain. Co-partitioned with agent_events.
  std::string work_items = "switchboard.work-items.v1";
  // Helpdesk → router: agent presence, capacity, accept/reject/complete/transfer. Keyed by
  // dispatch domain.
  std::string agent_events = "switchboard.agent-events.v1";
  // Router → helpdesks: routing decisions, keyed by dispatch domain.
  std::string assignments = "switchboard.assignments.v1";
  // Raw input that could not be accepted or processed, with the reason.
  std::string dead_letters = "switchboard.dead-letters.v1";

  static Topics withPrefix(const std::string& prefix) {
    Topics t;
    t.inbound = prefix + "inbound.v1";
    t.profiles = prefix + "profiles.v1";
    t.identity_links = prefix + "identity-links.v1";
    t.customer_messages = prefix + "customer-messages.v1";
    t.customer_events = prefix + "customer-events.v1";
    t.work_items = prefix + "work-items.v1";
    t.agent_events = prefix + "agent-events.v1";
    t.assignments = prefix + "assignments.v1";
    t.dead_letters = prefix + "dead-letters.v1";
    return t;
  }
};

}  // namespace switchboard
