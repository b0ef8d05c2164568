// switchboard: omnichannel message routing. See README.md and `switchboard help`.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>

#include "app/build_info.h"
#include "app/fault_control.h"
#include "app/http_front.h"
#include "app/kafka_probe.h"
#include "app/kafka_setup.h"
#include "app/options.h"
#include "app/router_runtime.h"
#include "app/signals.h"
#include "core/log.h"
#include "core/malloc_huge_pages.h"

namespace switchboard::app {
namespace {

// Waits for SIGINT/SIGTERM, or for the router to fail, whichever comes first.
int waitForShutdown(RouterRuntime* router) {
  if (router == nullptr) {
    int sig = waitForTerminationSignal();
    log::info("main", "signal " + std::to_string(sig) + ": shutting down");
    return 0;
  }
  std::atomic<int> caught{0};
  std::thread waiter([&] { caught = waitForTerminationSignal(); });
  while (caught.load() == 0 && !router->failed()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (caught.load() == 0) {
    // Release the waiter thread: it is blocked in sigwait for our own signal.
    ::kill(::getpid(), SIGTERM);
    waiter.join();
    return 1;
  }
  waiter.join();
  log::info("main", "signal " + std::to_string(caught.load()) + ": shutting down");
  return 0;
}

int runKafka(Options& options) {
  std::unique_ptr<kafka::EmbeddedCluster> embedded;
  options.kafka.brokers.clear();
  if (Status s = prepareKafka(options, embedded); !s) {
    log::error("main", s.error().describe());
    return 1;
  }
  std::unique_ptr<FaultControl> faults;
  if (options.fault_control) {
    auto started = FaultControl::start(options, embedded->mock());
    if (!started) {
      log::error("main", "fault control: " + started.error().describe());
      return 1;
    }
    faults = std::move(*started);
    std::printf("Fault injection listening on http://%s:%u\n", options.http_address.c_str(),
                faults->port());
    std::fflush(stdout);
  }
  int code = waitForShutdown(nullptr);
  if (faults) faults->stop();
  return code;
}

// up, connectors and router: the same skeleton with different parts.
int runServices(Options& options, bool with_ingress, bool with_router) {
  std::unique_ptr<kafka::EmbeddedCluster> embedded;
  if (Status s = prepareKafka(options, embedded); !s) {
    log::error("main", "kafka: " + s.error().describe());
    return 1;
  }
  metrics::MetricsRegistry metrics;
  registerBuildInfo(metrics);
  KafkaProbe kafka_probe(metrics);
  kafka::ProducerOptions po;
  po.client_id = "switchboard-" + options.command;
  // Ingress answers 503 when Kafka cannot take a message within this time.
  po.delivery_timeout = std::chrono::seconds(10);
  // The producer's own queue is the backstop behind ingress back-pressure (whose byte limit
  // it must exceed) and bounds what the router stages and dead letters may hold.
  po.queue_max_kbytes = std::max(po.queue_max_kbytes, 2 * options.max_inflight_bytes / 1024);
  auto producer = kafka::Producer::create(options.kafka, po, &kafka_probe);
  if (!producer) {
    log::error("main", producer.error().describe());
    return 1;
  }
  std::unique_ptr<RouterRuntime> router;
  if (with_router) {
    // The router's speed depends on it and only the environment can set it: say which.
    const MallocHugePages pages = probeMallocHugePages();
    if (pages.effective()) {
      log::info("main", pages.describe());
    } else {
      log::warn("main", pages.describe());
    }
    auto started = RouterRuntime::start(options, **producer, metrics);
    if (!started) {
      log::error("main", "router: " + started.error().describe());
      return 1;
    }
    router = std::move(*started);
  }
  RouterRuntime* r = router.get();
  auto front = HttpFront::start(options,
                                {.ingress = with_ingress,
                                 .agent_api = with_router,
                                 .policy = router ? &router->policy() : nullptr},
                                **producer, metrics, [r] { return r == nullptr || r->ready(); });
  if (!front) {
    log::error("main", "http: " + front.error().describe());
    return 1;
  }
  std::printf("Switchboard %s listening on http://%s:%u (metrics at /metrics)\n",
              options.command.c_str(), options.http_address.c_str(), (*front)->port());
  if (auto smtp_port = (*front)->smtpPort()) {
    std::printf("Switchboard %s accepting mail by %s on %s:%u\n", options.command.c_str(),
                options.lmtp ? "LMTP" : "SMTP", options.smtp_address.c_str(), *smtp_port);
  }
  std::fflush(stdout);

  int code = waitForShutdown(r);
  // Order: stop taking requests, let the router finish its cycle and commit, then flush
  // what the producer still holds, and only then take Kafka away.
  (*front)->stop();
  if (router) router->stop();
  if (Status s = (*producer)->flush(std::chrono::seconds(10)); !s) {
    log::warn("main", "flush on shutdown: " + s.error().describe());
  }
  producer->reset();
  log::info("main", "stopped");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  blockTerminationSignals();
  auto parsed = parseOptions(argc, argv);
  if (!parsed) {
    std::fprintf(stderr, "switchboard: %s\n", parsed.error().message().c_str());
    return 2;
  }
  Options& options = *parsed;
  if (options.command == "help") {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (options.command == "kafka") return runKafka(options);
  if (options.command == "up") return runServices(options, true, true);
  if (options.command == "connectors") return runServices(options, true, false);
  if (options.command == "router") return runServices(options, false, true);
  std::fprintf(stderr, "switchboard: unknown command '%s'\n\n%s", options.command.c_str(),
               usage().c_str());
  return 2;
}

}  // namespace switchboard::app

int main(int argc, char** argv) {
  return switchboard::app::main(argc, argv);
}
