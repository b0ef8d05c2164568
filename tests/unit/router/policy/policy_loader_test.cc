// The policy loader: the worked example loads into the expected model, and every kind of
// mistake is reported with the file, line, column, path and an exact message.
#include "router/policy/policy_loader.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/unit/router/policy/policy_test_util.h"

namespace switchboard::policy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::string loadError(const std::string& yaml) {
  auto policy = parsePolicy(yaml, "policy.yaml");
  if (policy) return "loaded";
  EXPECT_EQ(policy.error().code(), Errc::kConfig);
  return policy.error().message();
}

// A valid policy to which each error test adds or changes one thing.
const std::string kPools = R"(pools:
  - name: tier1
    members: {skills: [en]}
  - name: tier2
    members: {agents: [alice]}
)";

TEST(PolicyLoader, LoadsTheWorkedExample) {
  const Policy policy = testing::examplePolicy();
  EXPECT_EQ(policy.source, testing::testdataPath("example.yaml"));

  EXPECT_EQ(policy.defaults.reservation_timeout, seconds(30));
  EXPECT_EQ(policy.defaults.sticky_grace, minutes(10));
  EXPECT_EQ(policy.defaults.decline_memory, minutes(1));  // not set: the default
  EXPECT_EQ(policy.defaults.open_conversation_window.get(v1::CHANNEL_EMAIL), hours(72));
  EXPECT_EQ(policy.defaults.open_conversation_window.get(v1::CHANNEL_SMS), std::nullopt);
  EXPECT_EQ(policy.defaults.sla.get(v1::CHANNEL_CHAT), minutes(2));

  ASSERT_EQ(policy.calendars.size(), 2u);
  EXPECT_EQ(policy.calendars[0].name(), "seoul");
  EXPECT_EQ(policy.calendars[0].timeZone(), "Asia/Seoul");
  EXPECT_EQ(policy.calendars[0].hours()[1], (std::vector<Shift>{{540, 1080}}));
  EXPECT_TRUE(policy.calendars[0].hours()[0].empty());
  EXPECT_EQ(policy.calendars[0].holidays().size(), 4u);
  EXPECT_EQ(policy.calendars[1].hours()[5], (std::vector<Shift>{{480, 1200}, {1320, 1560}}));

  ASSERT_EQ(policy.pools.size(), 4u);
  const Pool& vip = policy.pools[0];
  EXPECT_EQ(vip.name, "korean-vip");
  EXPECT_EQ(vip.agents, (std::vector<std::string>{"minji", "jisoo"}));
  EXPECT_EQ(vip.skills, (std::vector<std::string>{"ko", "vip"}));
  EXPECT_EQ(vip.capacity.get(v1::CHANNEL_CHAT), 2u);
  EXPECT_EQ(vip.capacity.get(v1::CHANNEL_VOICE), std::nullopt);
  EXPECT_EQ(vip.strategy, Strategy::kLongestIdle);
  EXPECT_EQ(vip.sticky_grace, minutes(30));
  EXPECT_EQ(policy.pools[1].strategy, Strategy::kLeastBusy);
  EXPECT_EQ(policy.pools[1].capacity.get(v1::CHANNEL_VOICE), 1u);
  EXPECT_EQ(policy.pools[1].capacity.get(v1::CHANNEL_EMAIL), 5u);
  EXPECT_EQ(policy.pools[3].strategy, Strategy::kRoundRobin);
  EXPECT_EQ(policy.pools[3].sticky_grace, std::nullopt);

  ASSERT_EQ(policy.queues.size(), 5u);
  const Queue& q = policy.queues[0];
  EXPECT_EQ(q.name, "vip-korean-chat");
  EXPECT_EQ(q.filter.canonical(), R"(channel == "chat" && language == "ko" && tier == "vip")");
  EXPECT_EQ(q.priority, 100);
  EXPECT_EQ(q.sla.get(v1::CHANNEL_CHAT), seconds(60));
  EXPECT_EQ(q.sla_risk, (SlaRiskBoost{seconds(20), 50}));
  EXPECT_EQ(q.pool, "korean-vip");
  EXPECT_EQ(q.skills, (std::vector<std::string>{"ko"}));
  EXPECT_EQ(q.overflow,
            (std::vector<OverflowStep>{{seconds(90), "tier2"}, {minutes(3), "outsourced"}}));
  EXPECT_EQ(q.reach, (std::vector<std::string>{"korean-vip", "tier2", "outsourced"}));
  EXPECT_EQ(q.calendar, "seoul");
  EXPECT_EQ(q.calendar_index, 0u);
  EXPECT_EQ(q.after_hours_sla.get(v1::CHANNEL_CHAT), minutes(10));
  ASSERT_EQ(policy.queues[1].boosts.size(), 1u);
  EXPECT_EQ(policy.queues[1].boosts[0].when.canonical(), R"(tier == "vip")");
  EXPECT_EQ(policy.queues[1].boosts[0].add, 30);
  EXPECT_EQ(policy.queues[1].calendar_index, 1u);
  const Queue& catch_all = policy.queues[4];
  EXPECT_EQ(catch_all.filter.canonical(), "true");
  EXPECT_EQ(catch_all.priority, 0);
  EXPECT_EQ(catch_all.calendar_index, std::nullopt);
  EXPECT_TRUE(catch_all.overflow.empty());
  EXPECT_EQ(catch_all.reach, (std::vector<std::string>{"tier1"}));
}

TEST(PolicyLoader, MinimalPolicyTakesTheDefaults) {
  auto policy = parsePolicy(kPools + "queues:\n  - {name: all, pool: tier1}\n", "p.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->defaults, Defaults{});
  EXPECT_EQ(policy->pools[1].capacity, ChannelMap<uint32_t>{});
  EXPECT_TRUE(policy->calendars.empty());
}

TEST(PolicyLoader, NamesFollowTheAgentIdRule) {
  auto policy = parsePolicy(
      "pools: [{name: p, members: {agents: [alice@example.com, bob~2]}}]\n"
      "queues: [{name: q, pool: p}]\n",
      "p.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->pools[0].agents, (std::vector<std::string>{"alice@example.com", "bob~2"}));
}

TEST(PolicyLoader, DomainsDefaultAndSeparate) {
  auto policy = parsePolicy(
      "pools:\n"
      "  - {name: a, members: {agents: [ann]}}\n"
      "  - {name: b, domain: brand-b, members: {agents: [bob]}}\n"
      "queues: [{name: qa, pool: a}, {name: qb, pool: b}]\n",
      "p.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->domains, (std::vector<std::string>{"default", "brand-b"}));
  EXPECT_EQ(policy->domainOf(policy->findQueue("qb")), "brand-b");
  EXPECT_EQ(policy->domainOf(policy->findQueue("qa")), "default");
  EXPECT_EQ(policy->domainOf(nullptr), "default");
  EXPECT_EQ(policy->version.size(), 16u);
  auto same = parsePolicy(
      "pools:\n"
      "  - {name: a, members: {agents: [ann]}}\n"
      "  - {name: b, domain: brand-b, members: {agents: [bob]}}\n"
      "queues: [{name: qa, pool: a}, {name: qb, pool: b}]\n",
      "other.yaml");
  EXPECT_EQ(same->version, policy->version);
}

TEST(PolicyLoader, DomainsDoNotShareAgentsOrOverflow) {
  EXPECT_EQ(loadError("pools:\n"
                      "  - {name: a, members: {agents: [ann]}}\n"
                      "  - {name: b, domain: x, members: {agents: [bob, ann]}}\n"
                      "queues: [{name: q, pool: a}]\n"),
            "policy.yaml:3:35: pools[1].members: agent \"ann\" is listed in pool \"a\" of domain "
            "\"default\" too; an agent serves one domain");
  EXPECT_EQ(loadError("pools:\n"
                      "  - {name: a, members: {agents: [ann]}}\n"
                      "  - {name: b, domain: x, members: {agents: [bob]}}\n"
                      "queues: [{name: q, pool: a, overflow: [{after: 1m, widen_to: b}]}]\n"),
            "policy.yaml:4:62: queues[0].overflow[0].widen_to: pool \"b\" is in domain \"x\" but "
            "the queue's pool is in \"default\" (overflow stays within one dispatch domain)");
}

TEST(PolicyLoader, EveryoneAdmitsEveryAgent) {
  auto policy = parsePolicy(
      "pools:\n"
      "  - {name: all, members: {everyone: true}}\n"
      "  - {name: both, members: {everyone: true, agents: [ann], skills: [en]}}\n"
      "  - {name: listed, members: {everyone: false, agents: [ann]}}\n"
      "queues: [{name: q, pool: all}]\n",
      "p.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  const std::vector<std::string> no_skills;
  EXPECT_TRUE(policy->pools[0].everyone);
  EXPECT_TRUE(policy->pools[0].admits("zed", no_skills));
  EXPECT_TRUE(policy->pools[1].everyone);
  EXPECT_EQ(policy->pools[1].agents, (std::vector<std::string>{"ann"}));
  EXPECT_TRUE(policy->pools[1].admits("zed", no_skills));
  EXPECT_FALSE(policy->pools[2].everyone);
  EXPECT_FALSE(policy->pools[2].admits("zed", no_skills));
  EXPECT_TRUE(policy->pools[2].admits("ann", no_skills));
}

TEST(PolicyLoader, ZeroReservationTimeoutMeansNoOfferStep) {
  auto policy = parsePolicy(kPools +
                                "defaults: {reservation_timeout: 0s}\nqueues: [{name: a, "
                                "pool: tier1}]\n",
                            "p.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->defaults.reservation_timeout, seconds(0));
}

TEST(PolicyLoader, ContentVersionIsTheVersionOfTheText) {
  const std::string text = kPools + "queues: [{name: a, pool: tier1}]\n";
  auto policy = parsePolicy(text, "p.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->version, policyContentVersion(text));
  EXPECT_NE(policyContentVersion(text), policyContentVersion(text + "\n"));
  EXPECT_EQ(policyContentVersion(""), "cbf29ce484222325");  // FNV-1a 64 offset basis
}

TEST(PolicyLoader, UnreadableFile) {
  auto policy = loadPolicyFile("/nonexistent/policy.yaml");
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().code(), Errc::kConfig);
  EXPECT_EQ(policy.error().message(), "/nonexistent/policy.yaml: cannot open policy file");
}

TEST(PolicyLoader, YamlSyntaxAndTopLevel) {
  EXPECT_EQ(loadError("pools: [a\n"),
            "policy.yaml:2:1: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(loadError(""), "policy.yaml: expected a mapping, found nothing (null)");
  EXPECT_EQ(loadError("- a\n"), "policy.yaml:1:1: expected a mapping, found a list");
  EXPECT_EQ(loadError(kPools), "policy.yaml:1:1: missing required key \"queues\"");
  EXPECT_EQ(loadError(kPools + "queues: []\n"),
            "policy.yaml:6:9: queues: at least one queue is required");
  EXPECT_EQ(loadError("version: 2\n" + kPools),
            "policy.yaml:1:10: version: unsupported "
            "version 2 (this Switchboard reads 1)");
  EXPECT_EQ(loadError("queue: []\n" + kPools),
            "policy.yaml:1:1: queue: unknown key (expected one of: version, defaults, pools, "
            "calendars, queues)");
  EXPECT_EQ(loadError(kPools + "queues: [{name: a, pool: tier1}]\npools: []\n"),
            "policy.yaml:7:1: pools: duplicate key (first at line 1)");
}

TEST(PolicyLoader, UnknownKeysAndWrongTypes) {
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: a, pool: tier1, priorty: 3}\n"),
            "policy.yaml:7:28: queues[0].priorty: unknown key (expected one of: name, filter, "
            "priority, boosts, sla_risk, sla, pool, skills, overflow, calendar, "
            "after_hours_sla)");
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: a, pool: tier1, priority: high}\n"),
            "policy.yaml:7:38: queues[0].priority: expected an integer, found \"high\"");
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: a, pool: tier1, priority: 1000001}\n"),
            "policy.yaml:7:38: queues[0].priority: must be between -1000000 and 1000000, found "
            "1000001");
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: a, pool: [tier1]}\n"),
            "policy.yaml:7:21: queues[0].pool: expected a name, found a list");
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: a b, pool: tier1}\n"),
            "policy.yaml:7:12: queues[0].name: bad name \"a b\" (expected 1 to 128 characters "
            "from A-Z a-z 0-9 - . _ ~ @, as agent ids)");
  EXPECT_EQ(loadError(kPools + "queues:\n  - {pool: tier1}\n"),
            "policy.yaml:7:5: queues[0]: missing required key \"name\"");
  EXPECT_EQ(loadError(kPools + "queues: {name: a}\n"),
            "policy.yaml:6:9: queues: expected a list, found a mapping");
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: a, pool: tier1, sla: 2m}\n"),
            "policy.yaml:7:33: queues[0].sla: expected a mapping of channel names, found a "
            "scalar");
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: a, pool: tier1, sla: {fax: 2m}}\n"),
            "policy.yaml:7:34: queues[0].sla.fax: unknown channel \"fax\" (expected one of: "
            "email, sms, chat, messenger, instagram, whatsapp, x, telegram, voice)");
  EXPECT_EQ(loadError(R"(pools:
  - name: p
    members: {agents: [a]}
    capacity: {chat: 3, chat: 4}
queues: [{name: q, pool: p}]
)"),
            "policy.yaml:4:25: pools[0].capacity.chat: duplicate key (first at line 4)");
  EXPECT_EQ(loadError(R"(pools:
  - name: p
    members: {agents: [a]}
    capacity: {chat: -1}
queues: [{name: q, pool: p}]
)"),
            "policy.yaml:4:22: pools[0].capacity.chat: must be between 0 and 1000, found -1");
  EXPECT_EQ(loadError(R"(pools:
  - name: p
    members: {agents: [a]}
    strategy: fastest
queues: [{name: q, pool: p}]
)"),
            "policy.yaml:4:15: pools[0].strategy: unknown strategy \"fastest\" (expected "
            "longest-idle, least-busy or round-robin)");
}

TEST(PolicyLoader, BadDurations) {
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: a, pool: tier1, sla: {chat: 5x}}\n"),
            "policy.yaml:7:40: queues[0].sla.chat: bad duration \"5x\": expected unit d, h, m "
            "or s, largest first and each once (write e.g. \"90s\", \"2m\", \"24h\", \"1h30m\")");
  EXPECT_EQ(loadError(kPools + "defaults: {reservation_timeout: 30}\nqueues: [{name: a, pool: "
                               "tier1}]\n"),
            "policy.yaml:6:33: defaults.reservation_timeout: bad duration \"30\": missing unit "
            "d, h, m or s (write e.g. \"90s\", \"2m\", \"24h\", \"1h30m\")");
  EXPECT_EQ(loadError(kPools + "defaults: {sticky_grace: [10m]}\nqueues: [{name: a, pool: "
                               "tier1}]\n"),
            "policy.yaml:6:26: defaults.sticky_grace: expected a duration, found a list");
  EXPECT_EQ(loadError(kPools + "defaults: {decline_memory: soon}\nqueues: [{name: a, pool: "
                               "tier1}]\n"),
            "policy.yaml:6:28: defaults.decline_memory: bad duration \"soon\": expected a digit "
            "(write e.g. \"90s\", \"2m\", \"24h\", \"1h30m\")");
}

TEST(PolicyLoader, DeclineMemoryZeroMeansNeverForget) {
  auto policy = parsePolicy(
      kPools + "defaults: {decline_memory: 0s}\nqueues: [{name: a, pool: tier1}]\n", "policy.yaml");
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->defaults.decline_memory, seconds(0));
}

TEST(PolicyLoader, UnknownPoolsInQueuesAndOverflow) {
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: a, pool: tier9}\n"),
            "policy.yaml:7:21: queues[0].pool: unknown pool \"tier9\"");
  EXPECT_EQ(loadError(kPools + R"(queues:
  - {name: a, pool: tier1}
  - {name: b, pool: tier1}
  - name: c
    pool: tier1
    overflow:
      - {after: 90s, widen_to: tier3}
)"),
            "policy.yaml:12:32: queues[2].overflow[0].widen_to: unknown pool \"tier3\"");
  EXPECT_EQ(loadError(kPools + R"(queues:
  - name: c
    pool: tier1
    overflow:
      - {after: 90s, widen_to: tier2}
      - {after: 3m, widen_to: tier1}
)"),
            "policy.yaml:11:31: queues[0].overflow[1].widen_to: pool \"tier1\" is already "
            "eligible");
  EXPECT_EQ(loadError(kPools + R"(queues:
  - name: c
    pool: tier1
    overflow:
      - {after: 90s}
)"),
            "policy.yaml:10:9: queues[0].overflow[0]: missing required key \"widen_to\"");
}

TEST(PolicyLoader, OverflowStepsMustIncrease) {
  const std::string head = R"(pools:
  - {name: a, members: {agents: [x]}}
  - {name: b, members: {agents: [y]}}
  - {name: c, members: {agents: [z]}}
queues:
  - name: q
    pool: a
    overflow:
)";
  EXPECT_EQ(loadError(head + "      - {after: 3m, widen_to: b}\n"
                             "      - {after: 90s, widen_to: c}\n"),
            "policy.yaml:10:17: queues[0].overflow[1].after: overflow steps must be increasing: "
            "1m30s is not after 3m");
  EXPECT_EQ(loadError(head + "      - {after: 90s, widen_to: b}\n"
                             "      - {after: 1m30s, widen_to: c}\n"),
            "policy.yaml:10:17: queues[0].overflow[1].after: overflow steps must be increasing: "
            "1m30s is not after 1m30s");
  EXPECT_EQ(loadError(head + "      - {after: 90s, widen_to: b}\n"
                             "      - {after: 91s, widen_to: c}\n"),
            "loaded");
}

TEST(PolicyLoader, DuplicateNames) {
  EXPECT_EQ(loadError(R"(pools:
  - {name: p, members: {agents: [a]}}
  - {name: p, members: {agents: [b]}}
queues: [{name: q, pool: p}]
)"),
            "policy.yaml:3:12: pools[1].name: duplicate pool name \"p\" (first at line 2)");
  EXPECT_EQ(loadError(kPools + "queues:\n  - {name: q, pool: tier1}\n  - {name: q, pool: "
                               "tier2}\n"),
            "policy.yaml:8:12: queues[1].name: duplicate queue name \"q\" (first at line 7)");
  EXPECT_EQ(loadError(R"(calendars:
  - {name: c, time_zone: UTC, hours: {mon: ["09:00-17:00"]}}
  - {name: c, time_zone: UTC, hours: {tue: ["09:00-17:00"]}}
)" + kPools + "queues: [{name: q, pool: tier1}]\n"),
            "policy.yaml:3:12: calendars[1].name: duplicate calendar name \"c\" (first at line "
            "2)");
}

TEST(PolicyLoader, EmptyMemberSets) {
  const std::string tail = "queues: [{name: q, pool: p}]\n";
  const std::string empty =
      "policy.yaml:2:24: pools[0].members: empty member set (list agent ids under \"agents\", a "
      "skill selector under \"skills\", or \"everyone: true\")";
  EXPECT_EQ(loadError("pools:\n  - {name: p, members: {}}\n" + tail), empty);
  EXPECT_EQ(loadError("pools:\n  - {name: p, members: {agents: [], skills: []}}\n" + tail), empty);
  EXPECT_EQ(loadError("pools:\n  - {name: p, members: {everyone: false}}\n" + tail), empty);
  EXPECT_EQ(loadError("pools:\n  - {name: p, members: {everyone: yes}}\n" + tail),
            "policy.yaml:2:35: pools[0].members.everyone: expected true or false, found \"yes\"");
  EXPECT_EQ(loadError("pools:\n  - {name: p, members: {everyone: [true]}}\n" + tail),
            "policy.yaml:2:35: pools[0].members.everyone: expected true or false, found a list");
  EXPECT_EQ(loadError("pools:\n  - {name: p}\n" + tail),
            "policy.yaml:2:5: pools[0]: missing required key \"members\"");
  EXPECT_EQ(loadError("pools: []\n" + tail),
            "policy.yaml:1:8: pools: at least one pool is "
            "required");
}

TEST(PolicyLoader, FiltersThatDoNotParse) {
  EXPECT_EQ(loadError(kPools + "queues:\n  - name: q\n    pool: tier1\n"
                               "    filter: 'channel == \"chat\" &&'\n"),
            "policy.yaml:9:13: queues[0].filter: bad filter: column 21: expected a name, "
            "\"has(\", \"true\", \"false\", \"!\" or \"(\", found end of input");
  EXPECT_EQ(loadError(kPools + "queues:\n  - name: q\n    pool: tier1\n    boosts:\n"
                               "      - {when: 'tier = \"vip\"', add: 5}\n"),
            "policy.yaml:10:16: queues[0].boosts[0].when: bad filter: column 6: expected "
            "\"==\", found \"=\"");
  EXPECT_EQ(loadError(kPools + "queues:\n  - name: q\n    pool: tier1\n    filter: [a]\n"),
            "policy.yaml:9:13: queues[0].filter: expected a filter expression, found a list");
}

TEST(PolicyLoader, CalendarsAndTimeZones) {
  const std::string tail = kPools + "queues: [{name: q, pool: tier1, calendar: c}]\n";
  EXPECT_EQ(loadError("calendars:\n  - {name: c, time_zone: Mars/Base, hours: {mon: "
                      "[\"09:00-17:00\"]}}\n" +
                      tail),
            "policy.yaml:2:26: calendars[0].time_zone: unknown time zone \"Mars/Base\" "
            "(expected an IANA name such as \"Asia/Seoul\", from the tz database in "
            "/usr/share/zoneinfo)");
  EXPECT_EQ(loadError("calendars:\n  - {name: c, time_zone: UTC, hours: {monday: "
                      "[\"09:00-17:00\"]}}\n" +
                      tail),
            "policy.yaml:2:39: calendars[0].hours.monday: unknown key (expected one of: mon, "
            "tue, wed, thu, fri, sat, sun)");
  EXPECT_EQ(loadError("calendars:\n  - {name: c, time_zone: UTC, hours: {mon: "
                      "[\"9-17\"]}}\n" +
                      tail),
            "policy.yaml:2:45: calendars[0].hours.mon[0]: bad shift \"9-17\": expected "
            "HH:MM-HH:MM with hours 00-23 (close also 24:00) (write e.g. \"09:00-18:00\")");
  EXPECT_EQ(loadError("calendars:\n  - {name: c, time_zone: UTC, hours: {sat: []}}\n" + tail),
            "policy.yaml:2:38: calendars[0].hours: no business hours in the week (a calendar "
            "must open)");
  EXPECT_EQ(loadError("calendars:\n  - {name: c, time_zone: UTC, hours: {mon: "
                      "[\"09:00-17:00\"]}, holidays: [2026-02-30]}\n" +
                      tail),
            "policy.yaml:2:73: calendars[0].holidays[0]: bad date \"2026-02-30\" (expected "
            "YYYY-MM-DD)");
  EXPECT_EQ(loadError(kPools + "queues: [{name: q, pool: tier1, calendar: nyc}]\n"),
            "policy.yaml:6:43: queues[0].calendar: unknown calendar \"nyc\"");
  EXPECT_EQ(loadError(kPools + "queues: [{name: q, pool: tier1, after_hours_sla: {chat: 1h}}]\n"),
            "policy.yaml:6:50: queues[0].after_hours_sla: needs a calendar (after hours of "
            "what? add \"calendar\")");
}

TEST(PolicyLoader, ErrorsCarryTheFileName) {
  const std::string path = ::testing::TempDir() + "policy_loader_test_bad.yaml";
  {
    std::ofstream out(path);
    out << kPools << "queues:\n  - {name: a, pool: tier1, sla: {chat: soon}}\n";
  }
  auto policy = loadPolicyFile(path);
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().message().rfind(
                path + ":7:40: queues[0].sla.chat: bad duration \"soon\": expected a digit", 0),
            0u)
      << policy.error().message();
  std::remove(path.c_str());
}

TEST(PolicyLoader, Durations) {
  EXPECT_EQ(*parseDuration("90s"), seconds(90));
  EXPECT_EQ(*parseDuration("2m"), minutes(2));
  EXPECT_EQ(*parseDuration("24h"), hours(24));
  EXPECT_EQ(*parseDuration("1h30m"), minutes(90));
  EXPECT_EQ(*parseDuration("2d"), hours(48));
  EXPECT_EQ(*parseDuration("0s"), seconds(0));
  for (const char* bad : {"", "s", "5", "-5s", "5 s", "1m1h", "1m1m", "1.5h", "5ms", "24001h"}) {
    EXPECT_FALSE(parseDuration(bad)) << bad;
  }
  EXPECT_EQ(formatDuration(seconds(90)), "1m30s");
  EXPECT_EQ(formatDuration(hours(26)), "1d2h");
  EXPECT_EQ(formatDuration(seconds(0)), "0s");
}

}  // namespace
}  // namespace switchboard::policy
