#include "router/policy/default_policy.h"

#include <cstdlib>
#include <string>

#include "core/log.h"
#include "router/policy/policy_loader.h"

namespace switchboard::policy {
namespace {

constexpr std::string_view kYaml =
    R"(# The built-in routing policy: every agent in one pool, every item in one queue.
version: 1
defaults:
  reservation_timeout: 0s   # assign outright, no offer to accept
  sticky_grace: 10m
pools:
  - name: default
    members: {everyone: true}
    strategy: longest-idle
queues:
  - name: default
    pool: default
)";

}  // namespace

std::string_view defaultPolicyYaml() {
  return kYaml;
}

Policy defaultPolicy() {
  Result<Policy> policy = parsePolicy(kYaml, kDefaultPolicySource);
  if (!policy) {
    log::error("policy", "the built-in policy does not load: " + policy.error().message());
    std::abort();
  }
  return std::move(*policy);
}

}  // namespace switchboard::policy
