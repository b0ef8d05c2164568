// Exposes switchboard_build_info{version} 1, so dashboards can tell which build is running.
#pragma once

#include "core/metrics/metrics_registry.h"

namespace switchboard::app {

void registerBuildInfo(metrics::MetricsRegistry& metrics);

}  // namespace switchboard::app
