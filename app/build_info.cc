#include "app/build_info.h"

#include <prometheus/gauge.h>

namespace switchboard::app {

void registerBuildInfo(metrics::MetricsRegistry& metrics) {
  prometheus::BuildGauge()
      .Name("switchboard_build_info")
      .Help("Always 1; labels tell the running build")
      .Register(metrics.registry())
      .Add({{"version", SWITCHBOARD_VERSION}})
      .Set(1);
}

}  // namespace switchboard::app
