#include "connectors/connector_registry.h"

#include <string>

namespace switchboard::connectors {

Status ConnectorRegistry::add(std::unique_ptr<Connector> connector) {
  if (connector == nullptr) return makeError(Errc::kInternal, "null connector");
  if (find(connector->name()) != nullptr) {
    return makeError(Errc::kConfig,
                     "connector " + std::string(connector->name()) + " registered twice");
  }
  for (const auto& existing : connectors_) {
    for (const Route& mine : connector->routes()) {
      for (const Route& theirs : existing->routes()) {
        if (mine.method == theirs.method && mine.path == theirs.path) {
          return makeError(Errc::kConfig, "connectors " + std::string(existing->name()) + " and " +
                                              std::string(connector->name()) + " both serve " +
                                              mine.method + " " + mine.path);
        }
      }
    }
  }
  connectors_.push_back(std::move(connector));
  return okStatus();
}

const Connector* ConnectorRegistry::find(std::string_view name) const {
  for (const auto& connector : connectors_) {
    if (connector->name() == name) return connector.get();
  }
  return nullptr;
}

}  // namespace switchboard::connectors
