// Routing through the real pipeline: `switchboard up --policy FILE` with embedded Kafka, customer
// messages over HTTP (chat JSON, raw MIME email), agents through the agent API, CRM profiles on
// the profiles topic, and the decisions read back from the assignments topic with an ordinary
// consumer. One scenario per test, each in a fresh process and cluster:
//   - the same customer writes by email, then by chat: one conversation, the same agent (sticky);
//   - a VIP's chat overtakes standard chats that waited longer;
//   - an item at SLA risk overflows to the second-tier pool once the overflow step is due;
//   - a rejected offer goes to the next agent;
//   - a policy edit while work waits: a broken file is refused, the fixed one applies and the
//     queued item follows it.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>

#include "core/kafka/producer.h"
#include "switchboard/v1/assignment.pb.h"
#include "switchboard/v1/customer_profile.pb.h"
#include "tests/integration/support/child_process.h"
#include "tests/integration/support/group_offsets.h"
#include "tests/integration/support/http_client.h"
#include "tests/integration/support/metrics_scrape.h"
#include "tests/integration/support/switchboard_output.h"
#include "tests/integration/support/topic_contents.h"
#include "tests/integration/support/wait.h"

namespace switchboard {
namespace {

using std::chrono::seconds;
using testing::ChildProcess;
using testing::HttpClient;

constexpr int32_t kPartitions = 2;
constexpr char kHost[] = "127.0.0.1";
constexpr char kAgentToken[] = "routing-test-agent-token";
constexpr char kEmailToken[] = "routing-test-token";

// Short timers so that the overflow scenario takes seconds: the chat SLA is 10 s, at risk in
// its last 7 s, and the second tier may serve chats that waited 3 s.
constexpr char kPolicy[] = R"(version: 1
defaults:
  reservation_timeout: 60s
  sticky_grace: 10m
  open_conversation_window: {chat: 30m, email: 72h}
pools:
  - name: tier1
    members: {agents: [alice, bob]}
    capacity: {chat: 1, email: 1}
    strategy: longest-idle
  - name: tier2
    members: {agents: [carol]}
    capacity: {chat: 1, email: 1}
queues:
  - name: chat
    filter: 'channel == "chat"'
    priority: 10
    boosts:
      - {when: 'tier == "vip"', add: 50}
    sla: {chat: 10s}
    sla_risk: {within: 7s, add: 20}
    pool: tier1
    overflow:
      - {after: 3s, widen_to: tier2}
  - name: email
    filter: 'channel == "email"'
    pool: tier1
)";

class RoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sb-routing-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "policy.yaml") << policyText();
    up_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{SWITCHBOARD_BINARY, "up", "--http-address", kHost, "--http-port",
                                 "0", "--partitions", std::to_string(kPartitions), "--state-dir",
                                 (dir_ / "state").string(), "--bootstrap-file",
                                 (dir_ / "bootstrap").string(), "--policy",
                                 (dir_ / "policy.yaml").string(), "--policy-reload-interval", "1"},
        std::map<std::string, std::string>{{"SWITCHBOARD_EMAIL_INBOUND_TOKEN", kEmailToken},
                                           {"SWITCHBOARD_AGENT_API_TOKEN", kAgentToken}},
        (dir_ / "up.log").string());
    port_ = testing::httpPort(*up_);
    ASSERT_NE(port_, 0);
    kafka_.brokers = testing::readBootstrapFile(dir_ / "bootstrap");
    ASSERT_FALSE(kafka_.brokers.empty()) << up_->log();
    ASSERT_TRUE(testing::eventually(
        [&] {
          auto r = HttpClient::get(kHost, port_, "/readyz");
          return r && r->status == 200;
        },
        seconds(60)))
        << up_->log();
    auto producer = kafka::Producer::create(kafka_, {});
    ASSERT_TRUE(producer) << producer.error().describe();
    producer_ = std::move(*producer);
  }

  void TearDown() override {
    producer_.reset();
    if (up_) {
      up_->signal(SIGTERM);
      auto status = up_->waitExit(seconds(30));
      EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << up_->log();
    }
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  virtual std::string policyText() const { return kPolicy; }

  void agent(const std::string& id, const std::string& action, const std::string& body) {
    auto r = HttpClient::post(kHost, port_, "/v1/agents/" + id + "/" + action, body,
                              {{"Authorization", std::string("Bearer ") + kAgentToken}});
    ASSERT_TRUE(r) << r.error().describe();
    ASSERT_EQ(r->status, 202) << action << " " << r->body;
  }
  void available(const std::string& id) { agent(id, "presence", R"({"presence":"available"})"); }

  void chat(const std::string& visitor, const std::string& message_id, const std::string& text) {
    auto r = HttpClient::post(kHost, port_, "/v1/chat/messages",
                              R"({"visitor_id":")" + visitor + R"(","message_id":")" + message_id +
                                  R"(","text":")" + text + R"("})");
    ASSERT_TRUE(r) << r.error().describe();
    ASSERT_EQ(r->status, 202) << r->body;
  }

  void email(const std::string& from, const std::string& message_id, const std::string& body) {
    const std::string mime = "From: Ana Lima <" + from +
                             ">\r\nTo: support@example.com\r\nSubject: Order #1234\r\n"
                             "Message-ID: <" +
                             message_id +
                             ">\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
                             body + "\r\n";
    auto r = HttpClient::post(kHost, port_, "/v1/email/raw", mime,
                              {{"Content-Type", "message/rfc822"},
                               {"Authorization", std::string("Bearer ") + kEmailToken}});
    ASSERT_TRUE(r) << r.error().describe();
    ASSERT_EQ(r->status, 202) << r->body;
  }

  // A CRM profile on the profiles topic; returns once identity has applied its address links.
  void profile(const std::string& customer_id, const std::string& tier,
               const std::vector<std::pair<v1::Channel, std::string>>& addresses) {
    v1::CustomerProfile p;
    p.mutable_envelope()->set_event_id("profile-" + customer_id);
    p.set_customer_id(customer_id);
    p.set_tier(tier);
    for (const auto& [channel, value] : addresses) {
      auto* a = p.add_addresses();
      a->set_channel(channel);
      a->set_value(value);
    }
    kafka::OutgoingRecord record{.topic = "switchboard.profiles.v1",
                                 .key = customer_id,
                                 .value = p.SerializeAsString(),
                                 .event_id = p.envelope().event_id(),
                                 .event_type = "switchboard.v1.CustomerProfile"};
    ASSERT_TRUE(producer_->produce(record, nullptr));
    ASSERT_TRUE(producer_->flush(seconds(10)));
    links_expected_ += addresses.size();
    ASSERT_TRUE(testing::eventually(
        [&] {
          return testing::readTopic(kafka_, "switchboard.identity-links.v1", kPartitions).size() >=
                     links_expected_ &&
                 lag("identity", "switchboard.identity-links.v1") == 0;
        },
        seconds(60)))
        << up_->log();
  }

  int64_t lag(const std::string& stage, const std::string& topic) {
    return testing::groupLag(kafka_, "switchboard-" + stage, topic, kPartitions);
  }

  std::vector<v1::Assignment> assignments() {
    std::vector<v1::Assignment> out;
    for (const auto& record :
         testing::readTopic(kafka_, "switchboard.assignments.v1", kPartitions)) {
      v1::Assignment a;
      EXPECT_TRUE(a.ParseFromString(record.value));
      EXPECT_EQ(record.event_id, a.assignment_id());
      out.push_back(std::move(a));
    }
    std::stable_sort(out.begin(), out.end(), [](const v1::Assignment& a, const v1::Assignment& b) {
      return a.decided_at().seconds() != b.decided_at().seconds()
                 ? a.decided_at().seconds() < b.decided_at().seconds()
                 : a.decided_at().nanos() < b.decided_at().nanos();
    });
    return out;
  }

  // Waits for the first assignment matching `match` and returns it.
  v1::Assignment waitFor(const std::function<bool(const v1::Assignment&)>& match,
                         const std::string& what) {
    v1::Assignment found;
    bool ok = testing::eventually(
        [&] {
          for (auto& a : assignments()) {
            if (match(a)) {
              found = a;
              return true;
            }
          }
          return false;
        },
        seconds(60), std::chrono::milliseconds(200));
    EXPECT_TRUE(ok) << "no assignment: " << what << "\n" << up_->log();
    return found;
  }

  static std::function<bool(const v1::Assignment&)> is(v1::AssignmentStatus status,
                                                       const std::string& agent_id) {
    return
        [=](const v1::Assignment& a) { return a.status() == status && a.agent_id() == agent_id; };
  }

  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> up_;
  uint16_t port_ = 0;
  kafka::KafkaSettings kafka_;
  std::unique_ptr<kafka::Producer> producer_;
  size_t links_expected_ = 0;
};

TEST_F(RoutingTest, EmailThenChatJoinOneConversationWithTheSameAgent) {
  profile("crm-ana", "standard",
          {{v1::CHANNEL_EMAIL, "ana@example.com"}, {v1::CHANNEL_CHAT, "chat:v-ana"}});
  available("alice");
  email("ana@example.com", "order-1234@mail.example.com", "My order #1234 never arrived.");

  v1::Assignment offer = waitFor(is(v1::ASSIGNMENT_STATUS_OFFERED, "alice"), "email offered");
  EXPECT_EQ(offer.customer_id(), "crm-ana");
  EXPECT_EQ(offer.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(offer.reason().queue_id(), "email");
  agent("alice", "accept", R"({"work_item_id":")" + offer.work_item_id() + R"("})");
  waitFor(is(v1::ASSIGNMENT_STATUS_ASSIGNED, "alice"), "email assigned");

  // Bob becomes free before Alice finishes: by longest idle, Bob would get the next chat.
  available("bob");
  agent("alice", "complete", R"({"work_item_id":")" + offer.work_item_id() + R"("})");
  waitFor(is(v1::ASSIGNMENT_STATUS_COMPLETED, "alice"), "email completed");
  // The context stage has heard who served Ana before her chat arrives.
  ASSERT_TRUE(testing::eventually(
      [&] { return lag("context", "switchboard.customer-events.v1") == 0; }, seconds(60)));

  chat("v-ana", "c-1", "Any news on my order?");
  v1::Assignment chat_offer = waitFor(
      [](const v1::Assignment& a) {
        return a.status() == v1::ASSIGNMENT_STATUS_OFFERED && a.channel() == v1::CHANNEL_CHAT;
      },
      "chat offered");
  EXPECT_EQ(chat_offer.agent_id(), "alice");
  EXPECT_EQ(chat_offer.reason().strategy(), "sticky");
  EXPECT_EQ(chat_offer.customer_id(), "crm-ana");
  EXPECT_EQ(chat_offer.conversation_id(), offer.conversation_id());
  const v1::CustomerContext& context = chat_offer.work_item().context();
  EXPECT_EQ(context.last_agent_id(), "alice");
  EXPECT_FALSE(context.conversation().is_new());
  ASSERT_GE(context.recent_size(), 2);
  EXPECT_EQ(context.recent(1).channel(), v1::CHANNEL_EMAIL);
}

TEST_F(RoutingTest, VipChatOvertakesChatsThatWaitedLonger) {
  profile("crm-vip", "vip", {{v1::CHANNEL_CHAT, "chat:v-vip"}});
  chat("v-std-1", "s-1", "Hello?");
  chat("v-std-2", "s-2", "Is anyone there?");
  chat("v-vip", "vip-1", "I need help now");
  ASSERT_TRUE(testing::eventually(
      [&] {
        return testing::readTopic(kafka_, "switchboard.work-items.v1", kPartitions).size() == 3 &&
               lag("dispatch", "switchboard.work-items.v1") == 0;
      },
      seconds(60)))
      << up_->log();

  available("alice");
  v1::Assignment first = waitFor(is(v1::ASSIGNMENT_STATUS_OFFERED, "alice"), "first offer");
  EXPECT_EQ(first.customer_id(), "crm-vip");
  EXPECT_EQ(first.work_item().tier(), "vip");
  EXPECT_GE(first.reason().priority(), 60);
  EXPECT_EQ(first.reason().queue_id(), "chat");
}

TEST_F(RoutingTest, ItemAtSlaRiskOverflowsToTheSecondTier) {
  available("carol");  // tier2 only; nobody of tier1 is on shift
  chat("v-late", "l-1", "Hello, is this thing on?");
  v1::Assignment offer = waitFor(is(v1::ASSIGNMENT_STATUS_OFFERED, "carol"), "overflow offer");
  EXPECT_TRUE(offer.reason().overflowed());
  EXPECT_EQ(offer.reason().overflow_step(), 1u);
  EXPECT_EQ(offer.reason().pool_id(), "tier2");
  EXPECT_EQ(offer.reason().queue_id(), "chat");
  EXPECT_TRUE(offer.reason().sla_at_risk());
  // Not before the step was due: it waited at least the 3 s of the overflow step.
  EXPECT_GE(offer.reason().waited().seconds(), 3);
}

TEST_F(RoutingTest, RejectedOfferGoesToTheNextAgent) {
  available("alice");
  available("bob");
  chat("v-r", "r-1", "Can someone help?");
  v1::Assignment first =
      waitFor([](const v1::Assignment& a) { return a.status() == v1::ASSIGNMENT_STATUS_OFFERED; },
              "first offer");
  const std::string declined_by = first.agent_id();
  const std::string other = declined_by == "alice" ? "bob" : "alice";
  agent(declined_by, "reject",
        R"({"work_item_id":")" + first.work_item_id() + R"(","reason":"on a call"})");

  v1::Assignment requeued = waitFor(is(v1::ASSIGNMENT_STATUS_REQUEUED, declined_by), "requeued");
  EXPECT_EQ(requeued.reason().cause(), "rejected");
  v1::Assignment second = waitFor(is(v1::ASSIGNMENT_STATUS_OFFERED, other), "second offer");
  EXPECT_EQ(second.work_item_id(), first.work_item_id());
  EXPECT_EQ(second.reason().attempt(), 2u);
  EXPECT_NE(second.assignment_id(), first.assignment_id());
}

// Chats go to tier1 only (nobody of it is on shift); the new version sends them to tier2.
constexpr char kPolicyBeforeReload[] = R"(version: 1
defaults: {reservation_timeout: 60s}
pools:
  - {name: tier1, members: {agents: [alice]}}
  - {name: tier2, members: {agents: [carol]}}
queues:
  - {name: chat, filter: 'channel == "chat"', pool: tier1}
)";
constexpr char kPolicyAfterReload[] = R"(version: 1
defaults: {reservation_timeout: 60s}
pools:
  - {name: tier1, members: {agents: [alice]}}
  - {name: tier2, members: {agents: [carol]}}
queues:
  - {name: chat, filter: 'channel == "chat"', pool: tier2}
)";

class PolicyReloadTest : public RoutingTest {
 protected:
  std::string policyText() const override { return kPolicyBeforeReload; }
};

TEST_F(PolicyReloadTest, QueuedWorkSurvivesAReloadAndFollowsTheNewPolicy) {
  available("carol");
  chat("v-q", "q-1", "Still waiting");
  ASSERT_TRUE(testing::eventually(
      [&] {
        return testing::readTopic(kafka_, "switchboard.work-items.v1", kPartitions).size() == 1 &&
               lag("dispatch", "switchboard.work-items.v1") == 0 &&
               lag("dispatch", "switchboard.agent-events.v1") == 0;
      },
      seconds(60)));
  EXPECT_TRUE(assignments().empty()) << "carol is not in tier1 yet";

  // A broken file is refused and the policy in force stays.
  std::ofstream(dir_ / "policy.yaml") << "queues: [";
  ASSERT_TRUE(testing::eventually(
      [&] {
        auto m = HttpClient::get(kHost, port_, "/metrics");
        return m && testing::sampleValue(
                        m->body, R"(switchboard_policy_reloads_total{outcome="rejected"})") == 1.0;
      },
      seconds(30)))
      << up_->log();
  EXPECT_TRUE(assignments().empty());

  std::ofstream(dir_ / "policy.yaml") << kPolicyAfterReload;
  v1::Assignment offer = waitFor(is(v1::ASSIGNMENT_STATUS_OFFERED, "carol"), "after reload");
  EXPECT_EQ(offer.reason().pool_id(), "tier2");
  EXPECT_EQ(offer.reason().queue_id(), "chat");
  EXPECT_EQ(offer.customer_id(), offer.work_item().customer_id());
  auto m = HttpClient::get(kHost, port_, "/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(testing::sampleValue(m->body, R"(switchboard_policy_reloads_total{outcome="applied"})"),
            1.0)
      << m->body;
}

}  // namespace
}  // namespace switchboard
