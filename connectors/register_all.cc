#include "connectors/register_all.h"

namespace switchboard::connectors {

Status registerAllConnectors(ConnectorRegistry& registry, const ConnectorSettings& settings) {
  SB_RETURN_IF_ERROR(chat::registerChatConnector(registry, settings.chat));
  return okStatus();
}

}  // namespace switchboard::connectors
