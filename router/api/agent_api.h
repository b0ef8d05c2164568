// The helpdesk-facing HTTP API for agents. Each call becomes one switchboard.v1.AgentEvent on
// the agent-events topic, keyed by the agent's dispatch domain (so it reaches the dispatch task
// that matches that domain's work and agents), and is answered 202 only once the record's
// delivery report came back; 503 with Retry-After otherwise.
//
//   POST /v1/agents/{agent_id}/presence
//        {"presence":"available|away|offline", "capacities":{"chat":3,"email":5},
//         "skills":["en"], "display_name":"Alice"}
//   POST /v1/agents/{agent_id}/capacity  {"presence":"available", "capacities":{"chat":2}}
//   POST /v1/agents/{agent_id}/complete  {"work_item_id":"..."}
//   POST /v1/agents/{agent_id}/accept    {"work_item_id":"..."}
//   POST /v1/agents/{agent_id}/reject    {"work_item_id":"...", "reason":"busy"}
//   POST /v1/agents/{agent_id}/transfer  {"work_item_id":"...", "to_agent_id":"bob"
//                                         | "to_queue_id":"tier2", "reason":"billing"}
//
// `capacity` is a PresenceChanged whose capacities are required: capacities travel on the
// presence event (agent_event.proto), whose presence is required, so the helpdesk states the
// agent's current presence with them. `transfer` names exactly one target.
//
// Every body may carry "domain" (default AgentApiOptions::default_domain) and "request_id": the
// event id is derived from it, so a helpdesk that retries with the same request_id produces the
// same event. A legacy "pool_id" is still accepted and copied onto the event, but no longer
// chooses the key (pool membership comes from the routing policy). With a policy holder
// configured, a domain the policy does not have is refused (400). Every call needs
// `Authorization: Bearer <token>` (401 otherwise; compared in constant time); without a token
// configured every call is refused, unless `allow_unauthenticated` says otherwise.
//
// Lifecycle: construct after the producer (and the policy holder, if any), attach() before the
// server starts, stop the server before destroying the API; the destructor waits for
// outstanding delivery reports. Requests run on the server's threads, reports on the producer's
// poll thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/http/http_server.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"
#include "core/result.h"
#include "core/topics.h"
#include "router/api/agent_api_probe.h"
#include "router/policy/policy.h"
#include "router/reload/policy_holder.h"
#include "switchboard/v1/agent_event.pb.h"

namespace switchboard::router {

struct AgentApiOptions {
  // The token every call must present. Empty: every call is refused (401), unless
  // allow_unauthenticated (only behind a trusted network edge; `--agent-api-insecure`).
  std::string bearer_token;
  bool allow_unauthenticated = false;
  // The dispatch domain of events whose body names none.
  std::string default_domain = "default";
  std::chrono::seconds retry_after{5};
  // When set, events for a domain the policy in force does not have are refused (400).
  const PolicyHolder* policy = nullptr;
};

// Parses and validates one agent API request (path, content type, body) into the AgentEvent
// to produce: kNotFound for an unknown path, kUnsupportedMediaType, kMalformedInput,
// kMissingField or kInvalidArgument for a bad body. `action` is set as soon as it is known
// (for metrics). Pure and thread-safe; exposed for tests.
Result<v1::AgentEvent> parseAgentRequest(const http::Request& request,
                                         std::chrono::system_clock::time_point now,
                                         std::string_view default_domain, AgentAction& action);

// kInvalidArgument unless `domain` is one of the policy's dispatch domains. Pure.
Status checkAgentDomain(std::string_view domain, const policy::Policy& policy);

class AgentApi {
 public:
  static constexpr std::string_view kPrefix = "/v1/agents/";
  static constexpr std::string_view kProducer = "api/agents";

  AgentApi(kafka::Producer& producer, Topics topics, metrics::MetricsRegistry& metrics,
           AgentApiOptions options = {});
  ~AgentApi();
  AgentApi(const AgentApi&) = delete;
  AgentApi& operator=(const AgentApi&) = delete;

  // Registers POST /v1/agents/ (a prefix route). Call before server.start().
  void attach(http::HttpServer& server);

 private:
  class PendingEvent;

  void handle(http::Request&& request, http::Responder respond);
  bool authorized(const http::Request& request) const;
  void acquire() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void release() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }

  kafka::Producer& producer_;
  const Topics topics_;
  const AgentApiOptions options_;
  const std::string token_digest_;  // SHA-256 of the token: compared in constant time
  const std::string event_type_;
  AgentApiProbe probe_;
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace switchboard::router
