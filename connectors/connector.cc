#include "connectors/connector.h"

#include <stdexcept>

#include "core/http/error_status.h"

namespace switchboard::connectors {

http::Response Connector::rejectionAnswer(const Rejection& rejection) const {
  return http::errorResponse(rejection.code(), rejection.reason(), rejection.detail());
}

void throw_exception_from_error(const Rejection& rejection, const boost::source_location&) {
  throw std::runtime_error(std::string(rejection.reason()) + ": " + rejection.detail());
}

}  // namespace switchboard::connectors
