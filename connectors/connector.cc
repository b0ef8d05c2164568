#include "connectors/connector.h"

#include <stdexcept>

namespace switchboard::connectors {

void throw_exception_from_error(const Rejection& rejection, const boost::source_location&) {
  throw std::runtime_error(std::string(rejection.reason()) + ": " + rejection.detail());
}

}  // namespace switchboard::connectors
