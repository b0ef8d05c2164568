// `switchboard kafka --fault-control`: the embedded cluster's fault injection over HTTP, so
// that a chaos harness in another process can fail requests, take the broker down and slow it
// down while the pipeline runs. Never for production: anyone who reaches the port can break
// the cluster. Routes (JSON bodies, answers 200 {"ok":true} or 400 {"error":...}):
//   POST /v1/faults/request-errors {"api":"heartbeat","error":"REBALANCE_IN_PROGRESS","count":3}
//   POST /v1/faults/broker         {"broker":1,"down":true}
//   POST /v1/faults/rtt            {"broker":1,"ms":250}
//   POST /v1/faults/clear          {}   (queued request errors; brokers up and rtt 0 are yours)
// plus /metrics (switchboard_fault_injections_total{kind}) and /healthz.
// Lifecycle: start() binds, stop() before the cluster goes away. Handlers run on HTTP threads.
#pragma once

#include <memory>

#include "app/options.h"
#include "core/http/http_server.h"
#include "core/kafka/mock_faults.h"
#include "core/metrics/metrics_registry.h"

namespace switchboard::app {

class FaultControl {
 public:
  static Result<std::unique_ptr<FaultControl>> start(const Options& options,
                                                     rd_kafka_mock_cluster_t* cluster);
  uint16_t port() const { return server_->port(); }
  void stop() { server_->stop(); }

 private:
  explicit FaultControl(rd_kafka_mock_cluster_t* cluster) : faults_(cluster) {}
  void mount();

  kafka::MockFaults faults_;
  metrics::MetricsRegistry metrics_;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace switchboard::app
