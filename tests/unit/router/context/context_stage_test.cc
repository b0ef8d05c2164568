#include "router/stages/context_stage.h"

#include <deque>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/metrics/metrics_registry.h"
#include "router/context/customer_ids.h"
#include "router/policy/policy_loader.h"
#include "router/stages/identity_stage.h"
#include "switchboard/v1/work_item.pb.h"
#include "tests/unit/router/context/context_test_util.h"

namespace switchboard::router {
namespace {

using context::testing::FakeTaskContext;
using context::testing::makeCustomerMessage;
using context::testing::makeMessage;
using context::testing::Msg;
using context::testing::utc;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

v1::CustomerProfile makeProfile(const std::string& customer, const std::string& tier,
                                const std::string& language,
                                std::vector<std::pair<v1::Channel, std::string>> addresses = {}) {
  v1::CustomerProfile profile;
  profile.set_customer_id(customer);
  profile.set_tier(tier);
  profile.set_language(language);
  profile.set_display_name("Kim Minjun");
  for (const auto& [channel, value] : addresses) {
    v1::Address* address = profile.add_addresses();
    address->set_channel(channel);
    address->set_value(value);
  }
  return profile;
}

// The identity and context stages with one task each, wired by topic: every output for one of
// their inputs is fed back in (in emission order) until nothing is left; work items are
// collected. Single partition, as if every key hashed to partition 0.
class Pipeline {
 public:
  explicit Pipeline(ContextStage::PolicySource policy)
      : context_(topics_, registry_, std::move(policy)) {}

  void inject(const std::string& topic, const std::string& key, const std::string& value) {
    pending_.push_back({.topic = topic, .key = key, .value = value});
    pump();
  }
  void inbound(const Msg& m) {
    inject(topics_.inbound, m.sender, makeMessage(m).SerializeAsString());
  }
  void profile(const v1::CustomerProfile& p) {
    inject(topics_.profiles, p.customer_id(), p.SerializeAsString());
  }
  void event(const v1::CustomerEvent& e) {
    inject(topics_.customer_events, e.customer_id(), e.SerializeAsString());
  }

  void pump() {
    while (!pending_.empty()) {
      stage::Output out = std::move(pending_.front());
      pending_.pop_front();
      if (out.topic == topics_.work_items) {
        v1::WorkItem item;
        EXPECT_TRUE(item.ParseFromString(out.value));
        EXPECT_EQ(out.key, item.domain());
        EXPECT_EQ(out.event_id, item.work_item_id());
        work_items.push_back(std::move(item));
        continue;
      }
      topic_log.push_back(out.topic);
      if (out.topic == topics_.customer_messages && repeat_customer_messages &&
          repeated_.insert(out.event_id).second) {
        // As the broker does with a produce retry it appended twice: the same record again,
        // at the next offset, after the original.
        pending_.push_front(out);
      }
      const bool to_identity = out.topic == topics_.inbound || out.topic == topics_.identity_links;
      FakeTaskContext& ctx = to_identity ? identity_ctx : context_ctx;
      stage::InputRecord record;
      record.topic = out.topic;
      record.partition = 0;
      record.offset = offsets_[out.topic]++;
      record.key = out.key;
      record.value = out.value;
      record.event_id = out.event_id;
      record.timestamp = ctx.clock;
      if (to_identity) {
        identity_.process(record, ctx);
      } else {
        context_.process(record, ctx);
      }
      for (auto& next : ctx.take()) pending_.push_back(std::move(next));
    }
  }

  void setClock(context::TimePoint t) {
    identity_ctx.clock = t;
    context_ctx.clock = t;
  }
  v1::ContextState state(const std::string& customer) {
    v1::ContextState s;
    EXPECT_TRUE(s.ParseFromString(context_ctx.state.at(ContextStage::stateKey(customer))));
    return s;
  }

  Topics topics_;
  metrics::MetricsRegistry registry_;
  IdentityStage identity_{topics_, IdentitySettings{}, registry_};
  ContextStage context_;
  FakeTaskContext identity_ctx;
  FakeTaskContext context_ctx;
  std::vector<v1::WorkItem> work_items;
  std::vector<std::string> topic_log;  // topics of the records fed, in order
  bool repeat_customer_messages = false;

 private:
  std::deque<stage::Output> pending_;
  std::map<std::string, int64_t> offsets_;
  std::set<std::string> repeated_;  // event ids fed twice already
};

class ContextStageTest : public ::testing::Test {
 protected:
  std::shared_ptr<const policy::Policy> policy_ =
      std::make_shared<const policy::Policy>(policy::testing::examplePolicy());
  Pipeline pipeline_{[this] { return policy_; }};
  const Topics& topics_ = pipeline_.topics_;
};

TEST_F(ContextStageTest, SubscribesToMessagesProfilesAndEvents) {
  EXPECT_THAT(pipeline_.context_.inputTopics(),
              ElementsAre(topics_.customer_messages, topics_.profiles, topics_.customer_events));
}

TEST_F(ContextStageTest, AVipKoreanChatGoesToTheVipQueueWithItsContext) {
  const auto t0 = utc(2026, 3, 9, 3, 0);  // Monday noon in Seoul
  pipeline_.setClock(t0);
  pipeline_.profile(makeProfile("crm-7", "vip", "ko", {{v1::CHANNEL_CHAT, "visitor-7"}}));
  // The profile's address went to identity as a link.
  EXPECT_THAT(pipeline_.topic_log, ElementsAre(topics_.profiles, topics_.identity_links));
  EXPECT_EQ(pipeline_.identity_ctx.state.at("addr/chat/visitor-7"), "crm-7");

  pipeline_.inbound({.key = "chat:1", .sender = "visitor-7", .text = "주문 취소하고 싶어요"});
  ASSERT_THAT(pipeline_.work_items, SizeIs(1));
  const v1::WorkItem& item = pipeline_.work_items[0];
  EXPECT_EQ(item.customer_id(), "crm-7");
  EXPECT_EQ(item.queue_id(), "vip-korean-chat");
  EXPECT_EQ(item.priority(), 100);
  EXPECT_EQ(item.domain(), "default");
  EXPECT_EQ(item.pool_id(), "korean-vip");
  EXPECT_THAT(item.required_skills(), ElementsAre("ko"));
  EXPECT_EQ(item.tier(), "vip");
  EXPECT_EQ(item.language(), "ko");
  EXPECT_EQ(item.enqueued_at().seconds(), context::toMillis(t0) / 1000);
  EXPECT_EQ(item.sla_deadline().seconds(), context::toMillis(t0) / 1000 + 60);
  EXPECT_TRUE(item.conversation_id().starts_with("crm-7/"));
  const v1::CustomerContext& ctx = item.context();
  EXPECT_EQ(ctx.customer_id(), "crm-7");
  EXPECT_EQ(ctx.profile().tier(), "vip");
  EXPECT_EQ(ctx.profile().display_name(), "Kim Minjun");
  EXPECT_TRUE(ctx.conversation().is_new());
  ASSERT_THAT(ctx.recent(), SizeIs(1));
  EXPECT_EQ(ctx.recent(0).snippet(), "주문 취소하고 싶어요");
  EXPECT_EQ(ctx.recent(0).work_item_id(), item.work_item_id());
  EXPECT_LE(pipeline_.context_ctx.state.at("ctx/crm-7").size(), 2048u);
  EXPECT_THAT(pipeline_.context_ctx.rejects, IsEmpty());
}

TEST_F(ContextStageTest, EmailThenChatContinueOneConversationAndTheAgentIsRemembered) {
  const auto t0 = utc(2026, 3, 9, 15, 0);
  pipeline_.setClock(t0);
  pipeline_.inbound({.key = "em:1",
                     .channel = v1::CHANNEL_EMAIL,
                     .sender = "ana@example.com",
                     .message_id = "<m1@mail.example>",
                     .subject = "Order 42"});
  ASSERT_THAT(pipeline_.work_items, SizeIs(1));
  const v1::WorkItem email = pipeline_.work_items[0];
  EXPECT_EQ(email.queue_id(), "email");

  // Dispatch tells who served it.
  v1::CustomerEvent served;
  served.set_customer_id(email.customer_id());
  served.mutable_served()->set_agent_id("alice");
  served.mutable_served()->set_work_item_id(email.work_item_id());
  context::testing::setTime(served.mutable_served()->mutable_at(), t0 + std::chrono::minutes(5));
  pipeline_.event(served);

  // Same person, now on chat from the same address namespace? No: another channel, another
  // address. The CRM links both, so the chat joins the email's customer and conversation.
  pipeline_.profile(
      makeProfile("crm-ana", "", "en",
                  {{v1::CHANNEL_EMAIL, "ana@example.com"}, {v1::CHANNEL_CHAT, "visitor-ana"}}));
  pipeline_.setClock(t0 + std::chrono::minutes(20));
  pipeline_.inbound({.key = "chat:1", .sender = "visitor-ana", .text = "any news?"});
  ASSERT_THAT(pipeline_.work_items, SizeIs(2));
  const v1::WorkItem chat = pipeline_.work_items[1];
  EXPECT_EQ(chat.customer_id(), "crm-ana");
  EXPECT_EQ(chat.queue_id(), "chat");
  EXPECT_EQ(chat.conversation_id(), email.conversation_id());
  EXPECT_EQ(chat.context().conversation().joined_by(), "open_window");
  EXPECT_THAT(chat.context().conversation().channels(),
              ElementsAre(v1::CHANNEL_EMAIL, v1::CHANNEL_CHAT));
  EXPECT_EQ(chat.context().last_agent_id(), "alice");
  ASSERT_THAT(chat.context().recent(), SizeIs(2));
  EXPECT_EQ(chat.context().recent(1).agent_id(), "alice");
  EXPECT_THAT(chat.context().merged_from(), ElementsAre(email.customer_id()));

  // Forty minutes after the chat: the chat window (30m) has lapsed: a new conversation.
  pipeline_.setClock(t0 + std::chrono::minutes(61));
  pipeline_.inbound({.key = "chat:2", .sender = "visitor-ana"});
  ASSERT_THAT(pipeline_.work_items, SizeIs(3));
  EXPECT_NE(pipeline_.work_items[2].conversation_id(), email.conversation_id());
  EXPECT_TRUE(pipeline_.work_items[2].context().conversation().is_new());
}

TEST_F(ContextStageTest, MergeMovesHistoryAndForwardsLaterMessagesForTheOldId) {
  const auto t0 = utc(2026, 3, 9, 15, 0);
  pipeline_.setClock(t0);
  pipeline_.inbound({.key = "em:1",
                     .channel = v1::CHANNEL_EMAIL,
                     .sender = "ana@example.com",
                     .text = "first email",
                     .message_id = "m1@mail.example"});
  pipeline_.setClock(t0 + std::chrono::minutes(1));
  pipeline_.inbound(
      {.key = "sms:1", .channel = v1::CHANNEL_SMS, .sender = "+15550100", .text = "sms from ana"});
  ASSERT_THAT(pipeline_.work_items, SizeIs(2));
  const std::string email_id = pipeline_.work_items[0].customer_id();
  const std::string phone_id = pipeline_.work_items[1].customer_id();
  ASSERT_NE(email_id, phone_id);

  pipeline_.setClock(t0 + std::chrono::hours(1));
  pipeline_.profile(
      makeProfile("crm-ana", "vip", "en",
                  {{v1::CHANNEL_EMAIL, "ana@example.com"}, {v1::CHANNEL_SMS, "+15550100"}}));
  // profile → 2 links → 2 merges → 2 transfers.
  EXPECT_THAT(pipeline_.topic_log,
              ElementsAre(topics_.inbound, topics_.customer_messages, topics_.inbound,
                          topics_.customer_messages, topics_.profiles, topics_.identity_links,
                          topics_.identity_links, topics_.customer_events, topics_.customer_events,
                          topics_.customer_events, topics_.customer_events));
  const v1::ContextState merged = pipeline_.state("crm-ana");
  EXPECT_THAT(merged.merged_from(), ElementsAre(email_id, phone_id));
  ASSERT_THAT(merged.recent(), SizeIs(2));
  EXPECT_THAT(merged.conversations(), SizeIs(2));
  EXPECT_EQ(merged.profile().tier(), "vip");
  EXPECT_EQ(pipeline_.state(email_id).forwarded_to(), "crm-ana");
  EXPECT_THAT(pipeline_.state(email_id).recent(), IsEmpty());

  // A message identity resolved to the old id before the link (still in flight) is forwarded.
  pipeline_.setClock(t0 + std::chrono::hours(2));
  pipeline_.inject(topics_.customer_messages, email_id,
                   makeCustomerMessage(email_id, {.key = "em:late",
                                                  .channel = v1::CHANNEL_EMAIL,
                                                  .text = "late one",
                                                  .in_reply_to = "<m1@mail.example>"})
                       .SerializeAsString());
  ASSERT_THAT(pipeline_.work_items, SizeIs(3));
  const v1::WorkItem& late = pipeline_.work_items[2];
  EXPECT_EQ(late.customer_id(), "crm-ana");
  EXPECT_EQ(late.tier(), "vip");
  EXPECT_EQ(late.queue_id(), "email");
  EXPECT_EQ(late.priority(), 40);  // 10 + vip 30
  EXPECT_EQ(late.context().conversation().joined_by(), "email_thread");
  EXPECT_EQ(late.conversation_id(), pipeline_.work_items[0].conversation_id());
  ASSERT_THAT(late.context().recent(), SizeIs(3));
  EXPECT_EQ(late.context().recent(0).snippet(), "late one");
  EXPECT_EQ(late.context().recent(1).snippet(), "sms from ana");
  EXPECT_EQ(late.context().recent(2).snippet(), "first email");
  EXPECT_THAT(pipeline_.registry_.render(),
              HasSubstr("switchboard_router_context_forwarded_total{kind=\"message\"} 1"));

  // New messages from either address go straight to the CRM id.
  pipeline_.inbound({.key = "sms:2", .channel = v1::CHANNEL_SMS, .sender = "+15550100"});
  EXPECT_EQ(pipeline_.work_items.back().customer_id(), "crm-ana");
  EXPECT_THAT(pipeline_.context_ctx.rejects, IsEmpty());
  EXPECT_THAT(pipeline_.identity_ctx.rejects, IsEmpty());
}

TEST_F(ContextStageTest, ACycleOfMergesDoesNotForwardForever) {
  v1::ContextState a;
  a.set_forwarded_to("c-b");
  v1::ContextState b;
  b.set_forwarded_to("c-a");
  pipeline_.context_ctx.state["ctx/c-a"] = a.SerializeAsString();
  pipeline_.context_ctx.state["ctx/c-b"] = b.SerializeAsString();
  pipeline_.inject(topics_.customer_messages, "c-a",
                   makeCustomerMessage("c-a", {.key = "k"}).SerializeAsString());
  EXPECT_THAT(pipeline_.work_items, IsEmpty());
  ASSERT_THAT(pipeline_.context_ctx.rejects, SizeIs(1));
  EXPECT_EQ(pipeline_.context_ctx.rejects[0].first, "forward_loop");
  EXPECT_EQ(pipeline_.topic_log.size(), 9u);  // the original and 8 forwards

  v1::CustomerEvent served;
  served.set_customer_id("c-a");
  served.mutable_served()->set_agent_id("alice");
  pipeline_.event(served);  // forwarded once to c-b, then dropped
  EXPECT_EQ(pipeline_.topic_log.size(), 11u);
}

TEST_F(ContextStageTest, ADeletedProfileNoLongerRoutesAsVip) {
  const auto t0 = utc(2026, 3, 9, 3, 0);
  pipeline_.setClock(t0);
  pipeline_.profile(makeProfile("crm-7", "vip", "ko", {{v1::CHANNEL_CHAT, "visitor-7"}}));
  v1::CustomerProfile deleted = makeProfile("crm-7", "", "");
  deleted.set_deleted(true);
  pipeline_.profile(deleted);
  pipeline_.inbound({.key = "chat:1", .sender = "visitor-7"});
  ASSERT_THAT(pipeline_.work_items, SizeIs(1));
  EXPECT_EQ(pipeline_.work_items[0].customer_id(), "crm-7");  // the link stays
  EXPECT_EQ(pipeline_.work_items[0].queue_id(), "chat");
  EXPECT_FALSE(pipeline_.work_items[0].context().has_profile());
}

TEST_F(ContextStageTest, UnmatchedMessagesAreStillEmittedAndCounted) {
  auto policy = policy::parsePolicy(R"(version: 1
pools:
  - name: p
    members:
      agents: [a]
queues:
  - name: chat
    filter: 'channel == "chat"'
    pool: p
)",
                                    "inline.yaml");
  ASSERT_TRUE(policy);
  policy_ = std::make_shared<const policy::Policy>(std::move(*policy));
  pipeline_.inbound({.key = "em:1", .channel = v1::CHANNEL_EMAIL, .sender = "ana@example.com"});
  ASSERT_THAT(pipeline_.work_items, SizeIs(1));
  EXPECT_EQ(pipeline_.work_items[0].queue_id(), "");
  EXPECT_EQ(pipeline_.work_items[0].domain(), "default");
  EXPECT_THAT(pipeline_.registry_.render(), HasSubstr("switchboard_router_unrouted_total 1"));

  // The policy source is read per message: a reload applies to the next one.
  policy_ = nullptr;
  pipeline_.inbound({.key = "chat:1", .sender = "visitor-1"});
  EXPECT_EQ(pipeline_.work_items[1].queue_id(), "");
  EXPECT_THAT(pipeline_.registry_.render(), HasSubstr("switchboard_router_unrouted_total 2"));
}

TEST_F(ContextStageTest, AReplayOfTheSameInputsEmitsTheSameRecords) {
  auto run = [&](Pipeline& p) {
    p.setClock(utc(2026, 3, 9, 3, 0));
    p.inbound({.key = "em:1", .channel = v1::CHANNEL_EMAIL, .sender = "ana@example.com"});
    p.profile(makeProfile("crm-ana", "vip", "ko", {{v1::CHANNEL_EMAIL, "ana@example.com"}}));
    p.inbound({.key = "chat:1", .sender = "visitor-9", .language = "ko"});
    p.inbound({.key = "em:2", .channel = v1::CHANNEL_EMAIL, .sender = "ana@example.com"});
  };
  Pipeline other([this] { return policy_; });
  run(pipeline_);
  run(other);
  ASSERT_THAT(other.work_items, SizeIs(3));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(other.work_items[i].SerializeAsString(), pipeline_.work_items[i].SerializeAsString());
  }
  EXPECT_EQ(other.context_ctx.state, pipeline_.context_ctx.state);
  EXPECT_EQ(other.identity_ctx.state, pipeline_.identity_ctx.state);
}

TEST_F(ContextStageTest, AMessageReadTwiceIsRoutedOnceWithItsFirstContext) {
  pipeline_.setClock(utc(2026, 3, 9, 3, 0));
  for (int i = 1; i <= 5; ++i) {
    pipeline_.inbound({.key = "chat:" + std::to_string(i), .sender = "visitor-9"});
  }
  ASSERT_THAT(pipeline_.work_items, SizeIs(5));
  pipeline_.repeat_customer_messages = true;
  pipeline_.inbound({.key = "chat:6", .sender = "visitor-9"});
  pipeline_.inbound({.key = "chat:7", .sender = "visitor-9"});

  // Each repeat was read (the log shows it) but routed once: seven work items, and the
  // history of the last one still reaches back to chat:3 (a repeat of chat:6 recorded as a
  // second interaction would have pushed it out).
  EXPECT_EQ(
      std::count(pipeline_.topic_log.begin(), pipeline_.topic_log.end(), topics_.customer_messages),
      9);
  ASSERT_THAT(pipeline_.work_items, SizeIs(7));
  EXPECT_NE(pipeline_.work_items[5].work_item_id(), pipeline_.work_items[6].work_item_id());
  const auto& recent = pipeline_.work_items[6].context().recent();
  ASSERT_THAT(recent, SizeIs(5));
  EXPECT_EQ(recent.Get(4).work_item_id(), pipeline_.work_items[2].work_item_id());
  EXPECT_THAT(
      pipeline_.registry_.render(),
      HasSubstr("switchboard_router_context_dropped_total{reason=\"duplicate_message\"} 2"));
}

TEST_F(ContextStageTest, RejectsWhatItCannotUse) {
  const std::string broken("\x0a\xff\x01", 3);
  FakeTaskContext& ctx = pipeline_.context_ctx;
  auto feed = [&](const std::string& topic, const std::string& value) {
    stage::InputRecord record;
    record.topic = topic;
    record.value = value;
    pipeline_.context_.process(record, ctx);
  };
  feed(topics_.customer_messages, broken);
  feed(topics_.profiles, broken);
  feed(topics_.customer_events, broken);
  feed(topics_.customer_messages, makeCustomerMessage("", {.key = "k"}).SerializeAsString());
  feed(topics_.profiles, makeProfile("", "vip", "ko").SerializeAsString());
  v1::CustomerEvent empty;
  empty.set_customer_id("c-1");
  feed(topics_.customer_events, empty.SerializeAsString());
  feed("switchboard.other.v1", "");
  std::vector<std::string> reasons;
  for (const auto& [reason, detail] : ctx.rejects) reasons.push_back(reason);
  EXPECT_THAT(reasons, ElementsAre("undecodable_record", "undecodable_record", "undecodable_record",
                                   "invalid_record", "invalid_record", "invalid_record",
                                   "unexpected_topic"));
  EXPECT_THAT(ctx.outputs, IsEmpty());
  EXPECT_THAT(ctx.state, IsEmpty());
}

}  // namespace
}  // namespace switchboard::router
