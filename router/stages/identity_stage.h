// The identity stage: the router's first stage. Inputs, co-partitioned: InboundMessages keyed
// by sender address, and AddressLinks keyed by address (the context stage learns them from CRM
// profiles). It drops provider retries by idempotency key, maps the sender's address to a
// customer id and passes the message on as a CustomerMessage keyed by customer id, for the
// context stage. An AddressLink points an address at a CRM customer id; when the address had
// another id before, that id is merged into the new one (a CustomerEvent `merge` to the
// context stage, which moves the history and forwards later messages).
//
// State per task (keys: README.md): "idem/<key>" → work item id, expiring after
// `dedupe_window` through a time index "idemt/<hour>/<key>"; "addr/<namespace>/<address>" →
// customer id.
// Lifecycle: constructed once per process; open/process/tick/close per task, all on the
// runner's thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics/metrics_registry.h"
#include "core/stage/stage_processor.h"
#include "core/topics.h"

namespace switchboard::router {

struct IdentitySettings {
  // How long a provider retry of the same message is recognised (SendGrid retries for 3 days).
  std::chrono::hours dedupe_window{24 * 7};
};

class IdentityProbe;

class IdentityStage final : public stage::StageProcessor {
 public:
  IdentityStage(Topics topics, IdentitySettings settings, metrics::MetricsRegistry& metrics);
  ~IdentityStage() override;

  // The topics to subscribe this processor to (co-partitioned): inbound, identity_links.
  std::vector<std::string> inputTopics() const;

  void open(stage::TaskContext& ctx) override;
  void process(const stage::InputRecord& record, stage::TaskContext& ctx) override;
  // Forgets idempotency keys older than the window (at most once an hour per task).
  void tick(stage::TaskContext& ctx) override;
  void close(int32_t partition) override;

 private:
  void processInbound(const stage::InputRecord& record, stage::TaskContext& ctx);
  void processLink(const stage::InputRecord& record, stage::TaskContext& ctx);

  Topics topics_;
  IdentitySettings settings_;
  std::unique_ptr<IdentityProbe> probe_;
  // Per task: the cutoff hour last purged, so that the purge scan runs once an hour.
  std::map<int32_t, std::string> purged_until_;
};

}  // namespace switchboard::router
