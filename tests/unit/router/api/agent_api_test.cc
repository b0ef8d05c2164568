// The pure part of the agent API: each action's body becomes the expected AgentEvent (domain,
// legacy pool id, payload), every bad body is refused with the specific error, and ids derived
// from request_id are stable. The HTTP and Kafka round trip is in
// tests/integration/ingress_test.cc.
#include "router/api/agent_api.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "core/metrics/metrics_registry.h"
#include "router/policy/default_policy.h"
#include "router/policy/policy_loader.h"

namespace switchboard::router {
namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000));

http::Request post(std::string path, std::string body) {
  http::Request request;
  request.method = "POST";
  request.target = path;
  request.path = std::move(path);
  request.headers = {{"Content-Type", "application/json"}};
  request.body = std::move(body);
  return request;
}

struct Parsed {
  Result<v1::AgentEvent> event;
  AgentAction action;
};

Parsed parse(const std::string& path, const std::string& body,
             std::string_view default_domain = "default") {
  AgentAction action = AgentAction::kUnknown;
  Result<v1::AgentEvent> event = parseAgentRequest(post(path, body), kNow, default_domain, action);
  return {std::move(event), action};
}

// "code: message" of a refused request, or "ok".
std::string refusal(const std::string& path, const std::string& body) {
  Parsed parsed = parse(path, body);
  if (parsed.event) return "ok";
  return std::string(errcName(parsed.event.error().code())) + ": " + parsed.event.error().message();
}

TEST(AgentApiParse, PresenceWithDomainDefaultAndLegacyPoolId) {
  Parsed parsed =
      parse("/v1/agents/alice/presence",
            R"({"presence":"available","capacities":{"chat":3},"skills":["en"]})", "brand-a");
  ASSERT_TRUE(parsed.event) << parsed.event.error().message();
  EXPECT_EQ(parsed.action, AgentAction::kPresence);
  EXPECT_EQ(parsed.event->agent_id(), "alice");
  EXPECT_EQ(parsed.event->domain(), "brand-a");
  EXPECT_EQ(parsed.event->pool_id(), "");
  ASSERT_TRUE(parsed.event->has_presence());
  EXPECT_EQ(parsed.event->presence().presence(), v1::PRESENCE_AVAILABLE);
  ASSERT_EQ(parsed.event->presence().capacities_size(), 1);
  EXPECT_EQ(parsed.event->presence().capacities(0).channel(), v1::CHANNEL_CHAT);
  EXPECT_EQ(parsed.event->presence().capacities(0).max_concurrent(), 3u);

  // "domain" picks the domain; a legacy "pool_id" is kept on the event but does not.
  parsed = parse("/v1/agents/alice/presence",
                 R"({"presence":"away","domain":"brand-b","pool_id":"support"})");
  ASSERT_TRUE(parsed.event) << parsed.event.error().message();
  EXPECT_EQ(parsed.event->domain(), "brand-b");
  EXPECT_EQ(parsed.event->pool_id(), "support");
  parsed = parse("/v1/agents/alice/presence", R"({"presence":"away","pool_id":"support"})");
  ASSERT_TRUE(parsed.event);
  EXPECT_EQ(parsed.event->domain(), "default");
  EXPECT_EQ(parsed.event->pool_id(), "support");
}

TEST(AgentApiParse, CapacityIsAPresenceEventWithCapacitiesRequired) {
  Parsed parsed =
      parse("/v1/agents/alice/capacity", R"({"presence":"available","capacities":{"email":0}})");
  ASSERT_TRUE(parsed.event) << parsed.event.error().message();
  EXPECT_EQ(parsed.action, AgentAction::kCapacity);
  ASSERT_TRUE(parsed.event->has_presence());
  EXPECT_EQ(parsed.event->presence().presence(), v1::PRESENCE_AVAILABLE);
  ASSERT_EQ(parsed.event->presence().capacities_size(), 1);
  EXPECT_EQ(parsed.event->presence().capacities(0).channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(parsed.event->presence().capacities(0).max_concurrent(), 0u);

  EXPECT_EQ(refusal("/v1/agents/alice/capacity", R"({"capacities":{"chat":2}})"),
            "missing_field: presence is required");
  EXPECT_EQ(refusal("/v1/agents/alice/capacity", R"({"presence":"available"})"),
            "missing_field: capacities is required (e.g. {\"chat\": 2})");
  EXPECT_EQ(refusal("/v1/agents/alice/capacity", R"({"presence":"available","capacities":{}})"),
            "missing_field: capacities is required (e.g. {\"chat\": 2})");
  EXPECT_EQ(refusal("/v1/agents/alice/capacity",
                    R"({"presence":"available","capacities":{"chat":10001}})"),
            "invalid_argument: capacities must be whole numbers from 0 to 10000");
}

TEST(AgentApiParse, TransferToAnAgentOrAQueue) {
  Parsed parsed = parse("/v1/agents/alice/transfer",
                        R"({"work_item_id":"wi-1","to_agent_id":"bob","reason":"billing"})");
  ASSERT_TRUE(parsed.event) << parsed.event.error().message();
  EXPECT_EQ(parsed.action, AgentAction::kTransfer);
  ASSERT_TRUE(parsed.event->has_transfer());
  EXPECT_EQ(parsed.event->transfer().work_item_id(), "wi-1");
  EXPECT_EQ(parsed.event->transfer().to_agent_id(), "bob");
  EXPECT_EQ(parsed.event->transfer().to_queue_id(), "");
  EXPECT_EQ(parsed.event->transfer().reason(), "billing");

  parsed = parse("/v1/agents/alice/transfer", R"({"work_item_id":"wi-1","to_queue_id":"tier2"})");
  ASSERT_TRUE(parsed.event) << parsed.event.error().message();
  EXPECT_EQ(parsed.event->transfer().to_queue_id(), "tier2");
  EXPECT_EQ(parsed.event->transfer().to_agent_id(), "");
  EXPECT_EQ(parsed.event->transfer().reason(), "");
}

TEST(AgentApiParse, TransferNeedsExactlyOneTarget) {
  const std::string path = "/v1/agents/alice/transfer";
  EXPECT_EQ(refusal(path, R"({"work_item_id":"wi-1"})"),
            "missing_field: to_agent_id or to_queue_id is required");
  EXPECT_EQ(refusal(path, R"({"work_item_id":"wi-1","to_agent_id":"","to_queue_id":null})"),
            "missing_field: to_agent_id or to_queue_id is required");
  EXPECT_EQ(refusal(path, R"({"work_item_id":"wi-1","to_agent_id":"bob","to_queue_id":"q"})"),
            "invalid_argument: transfer takes to_agent_id or to_queue_id, not both");
  EXPECT_EQ(refusal(path, R"({"to_agent_id":"bob"})"), "missing_field: work_item_id is required");
  EXPECT_EQ(refusal(path, R"({"work_item_id":"wi-1","to_agent_id":"alice"})"),
            "invalid_argument: to_agent_id is the agent who has the work item");
  EXPECT_EQ(refusal(path, R"({"work_item_id":"wi-1","to_queue_id":"tier 2"})"),
            "invalid_argument: to_queue_id must have 1 to 128 characters from A-Z a-z 0-9 - . _ "
            "~ @");
  EXPECT_EQ(refusal(path, R"({"work_item_id":"wi-1","to_agent_id":7})"),
            "malformed_input: to_agent_id must be a string");
}

TEST(AgentApiParse, CompleteAcceptReject) {
  Parsed parsed = parse("/v1/agents/bob/complete", R"({"work_item_id":"wi-7"})");
  ASSERT_TRUE(parsed.event);
  EXPECT_EQ(parsed.action, AgentAction::kComplete);
  EXPECT_EQ(parsed.event->completed().work_item_id(), "wi-7");
  parsed = parse("/v1/agents/bob/accept", R"({"work_item_id":"wi-7"})");
  ASSERT_TRUE(parsed.event);
  EXPECT_EQ(parsed.event->accepted().work_item_id(), "wi-7");
  parsed = parse("/v1/agents/bob/reject", R"({"work_item_id":"wi-7","reason":"busy"})");
  ASSERT_TRUE(parsed.event);
  EXPECT_EQ(parsed.event->rejected().reason(), "busy");
}

TEST(AgentApiParse, RefusesBadDomainsPathsAndBodies) {
  EXPECT_EQ(refusal("/v1/agents/alice/presence", R"({"presence":"away","domain":"a/b"})"),
            "invalid_argument: domain must have 1 to 128 characters from A-Z a-z 0-9 - . _ ~ @");
  EXPECT_EQ(refusal("/v1/agents/alice/presence", R"({"presence":"away","domain":3})"),
            "malformed_input: domain must be a string");
  EXPECT_EQ(refusal("/v1/agents/alice/dance", "{}"),
            "not_found: unknown action; expected presence, capacity, complete, accept, reject or "
            "transfer");
  EXPECT_EQ(refusal("/v1/agents/alice/presence", R"({"presence":"sleeping"})"),
            "invalid_argument: presence must be available, away or offline");
  EXPECT_EQ(refusal("/v1/agents/alice/presence", "[]"),
            "malformed_input: the body must be a JSON object");
  Parsed parsed = parse("/v1/agents/alice/transfer", R"({"work_item_id":"wi-1"})");
  EXPECT_EQ(parsed.action, AgentAction::kTransfer);  // known for the metrics though refused
}

TEST(AgentApiParse, RequestIdMakesTheEventIdStable) {
  const std::string body = R"({"work_item_id":"wi-1","to_queue_id":"q","request_id":"r-1"})";
  Parsed a = parse("/v1/agents/alice/transfer", body);
  Parsed b = parse("/v1/agents/alice/transfer", body);
  ASSERT_TRUE(a.event && b.event);
  EXPECT_EQ(a.event->envelope().event_id(), b.event->envelope().event_id());
  EXPECT_EQ(a.event->envelope().idempotency_key(), "agents:alice:r-1");
  EXPECT_EQ(a.event->envelope().producer(), "api/agents");
  Parsed c = parse("/v1/agents/alice/transfer", R"({"work_item_id":"wi-1","to_queue_id":"q"})");
  Parsed d = parse("/v1/agents/alice/transfer", R"({"work_item_id":"wi-1","to_queue_id":"q"})");
  ASSERT_TRUE(c.event && d.event);
  EXPECT_NE(c.event->envelope().event_id(), d.event->envelope().event_id());
}

TEST(AgentApiDomain, OnlyThePolicysDomainsAreAccepted) {
  auto policy = policy::parsePolicy(
      "pools:\n"
      "  - {name: a, members: {everyone: true}}\n"
      "  - {name: b, domain: brand-b, members: {agents: [bob]}}\n"
      "queues: [{name: q, pool: a}]\n",
      "p.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_TRUE(checkAgentDomain("default", *policy));
  EXPECT_TRUE(checkAgentDomain("brand-b", *policy));
  Status unknown = checkAgentDomain("brand-c", *policy);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(unknown.error().message(),
            "domain \"brand-c\" is not a dispatch domain of the routing policy (it has: default, "
            "brand-b)");
  EXPECT_TRUE(checkAgentDomain("default", policy::defaultPolicy()));
}

TEST(AgentApiProbe, HasASeriesForEveryActionAndOutcome) {
  metrics::MetricsRegistry registry;
  AgentApiProbe probe(registry);
  probe.requestAccepted(AgentAction::kTransfer);
  probe.requestRejected(AgentAction::kCapacity);
  const std::string rendered = registry.render();
  EXPECT_NE(rendered.find(R"(switchboard_agent_api_requests_total{action="transfer",)"
                          R"(outcome="accepted"} 1)"),
            std::string::npos);
  EXPECT_NE(rendered.find(R"(switchboard_agent_api_requests_total{action="capacity",)"
                          R"(outcome="rejected"} 1)"),
            std::string::npos);
  EXPECT_NE(rendered.find(R"(switchboard_agent_api_requests_total{action="unknown",)"
                          R"(outcome="unavailable"} 0)"),
            std::string::npos);
}

}  // namespace
}  // namespace switchboard::router
