// The one visible list of connectors. Adding a channel: a folder under connectors/, its
// settings struct here, one line in registerAllConnectors(), tests.
#pragma once

#include "connectors/chat/chat_connector.h"
#include "connectors/connector_registry.h"
#include "core/result.h"

namespace switchboard::connectors {

struct ConnectorSettings {
  chat::ChatSettings chat;
};

// Registers every enabled connector. Fails (kConfig) on a duplicate name or route.
Status registerAllConnectors(ConnectorRegistry& registry, const ConnectorSettings& settings);

}  // namespace switchboard::connectors
