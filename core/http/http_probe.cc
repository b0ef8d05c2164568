#include "core/http/http_probe.h"

#include <string>

#include <prometheus/family.h>

namespace switchboard::http {

std::string_view refusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::kBodyTooLarge: return "body_too_large";
    case Refusal::kHeaderTooLarge: return "header_too_large";
    case Refusal::kTooManyHeaderFields: return "too_many_header_fields";
    case Refusal::kTimeout: return "timeout";
    case Refusal::kMalformed: return "malformed";
    case Refusal::kTooManyConnections: return "too_many_connections";
    case Refusal::kCount: break;
  }
  return "unknown";
}

HttpProbe::HttpProbe(metrics::MetricsRegistry& registry) {
  auto& family = prometheus::BuildCounter()
                     .Name("switchboard_http_refused_total")
                     .Help(
                         "HTTP requests the server refused on its own limits before any "
                         "handler saw them, by reason")
                     .Register(registry.registry());
  for (size_t i = 0; i < refused_.size(); ++i) {
    refused_[i] = &family.Add({{"reason", std::string(refusalName(static_cast<Refusal>(i)))}});
  }
}

}  // namespace switchboard::http
