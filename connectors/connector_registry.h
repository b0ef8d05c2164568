// The connectors a process runs, filled once at start-up by registerAllConnectors() and read
// by the ingress host. Not thread-safe to modify; immutable (and so shareable) afterwards.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "core/result.h"

namespace switchboard::connectors {

class ConnectorRegistry {
 public:
  // Fails with kConfig when the name or one of the routes is already taken.
  Status add(std::unique_ptr<Connector> connector);

  const std::vector<std::unique_ptr<Connector>>& connectors() const { return connectors_; }
  const Connector* find(std::string_view name) const;
  bool empty() const { return connectors_.empty(); }

 private:
  std::vector<std::unique_ptr<Connector>> connectors_;
};

}  // namespace switchboard::connectors
