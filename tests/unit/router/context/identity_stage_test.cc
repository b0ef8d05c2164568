#include "router/stages/identity_stage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/metrics/metrics_registry.h"
#include "router/context/customer_ids.h"
#include "tests/unit/router/context/context_test_util.h"

namespace switchboard::router {
namespace {

using context::testing::FakeTaskContext;
using context::testing::makeMessage;
using context::testing::Msg;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class IdentityStageTest : public ::testing::Test {
 protected:
  void feed(const std::string& topic, const std::string& key, const std::string& value) {
    stage::InputRecord record;
    record.topic = topic;
    record.partition = ctx_.partition();
    record.offset = offset_++;
    record.key = key;
    record.value = value;
    record.timestamp = ctx_.clock;
    stage_.process(record, ctx_);
  }
  void feedMessage(const Msg& m) {
    feed(topics_.inbound, m.sender, makeMessage(m).SerializeAsString());
  }
  void feedLink(v1::Channel channel, const std::string& address, const std::string& customer) {
    v1::AddressLink link;
    link.mutable_address()->set_channel(channel);
    link.mutable_address()->set_value(address);
    link.set_customer_id(customer);
    feed(topics_.identity_links, address, link.SerializeAsString());
  }
  static v1::CustomerMessage customerMessage(const stage::Output& out) {
    v1::CustomerMessage cm;
    EXPECT_TRUE(cm.ParseFromString(out.value));
    return cm;
  }

  Topics topics_;
  metrics::MetricsRegistry registry_;
  IdentityStage stage_{topics_, IdentitySettings{}, registry_};
  FakeTaskContext ctx_{2};
  int64_t offset_ = 0;
};

TEST_F(IdentityStageTest, SubscribesToInboundAndIdentityLinks) {
  EXPECT_THAT(stage_.inputTopics(), ElementsAre(topics_.inbound, topics_.identity_links));
}

TEST_F(IdentityStageTest, PassesTheMessageOnKeyedByADerivedCustomerId) {
  feedMessage({.key = "chat:1", .sender = "visitor-42"});
  ASSERT_THAT(ctx_.outputs, SizeIs(1));
  const stage::Output& out = ctx_.outputs[0];
  v1::Address sender;
  sender.set_channel(v1::CHANNEL_CHAT);
  sender.set_value("visitor-42");
  const std::string customer = context::derivedCustomerId(sender);
  EXPECT_TRUE(customer.starts_with("c-"));
  EXPECT_EQ(customer.size(), 22u);
  EXPECT_EQ(out.topic, topics_.customer_messages);
  EXPECT_EQ(out.key, customer);
  EXPECT_EQ(out.event_type, "switchboard.v1.CustomerMessage");
  EXPECT_EQ(out.event_id, context::inputDerivedId("cm-", topics_.inbound, 2, 0));
  const v1::CustomerMessage cm = customerMessage(out);
  EXPECT_EQ(cm.customer_id(), customer);
  EXPECT_TRUE(cm.new_customer());
  EXPECT_EQ(cm.envelope().event_id(), out.event_id);
  EXPECT_EQ(cm.envelope().causation_id(), "ev-chat:1");
  EXPECT_EQ(cm.envelope().idempotency_key(), "chat:1");
  EXPECT_EQ(cm.envelope().trace_id(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(cm.message().text(), "hello");
  EXPECT_EQ(ctx_.state.at("addr/chat/visitor-42"), customer);

  // Same address later: same customer, not new.
  feedMessage({.key = "chat:2", .sender = "visitor-42"});
  ASSERT_THAT(ctx_.outputs, SizeIs(2));
  EXPECT_EQ(customerMessage(ctx_.outputs[1]).customer_id(), customer);
  EXPECT_FALSE(customerMessage(ctx_.outputs[1]).new_customer());
  EXPECT_THAT(registry_.render(), HasSubstr("switchboard_router_new_customers_total 1"));
  EXPECT_THAT(registry_.render(),
              HasSubstr("switchboard_router_inbound_messages_total{channel=\"chat\"} 2"));
}

TEST_F(IdentityStageTest, OnePhoneNumberIsOneCustomerAcrossSmsAndWhatsApp) {
  feedMessage({.key = "sms:1", .channel = v1::CHANNEL_SMS, .sender = "+821012345678"});
  feedMessage({.key = "wa:1", .channel = v1::CHANNEL_WHATSAPP, .sender = "+821012345678"});
  feedMessage({.key = "em:1", .channel = v1::CHANNEL_EMAIL, .sender = "+821012345678"});
  ASSERT_THAT(ctx_.outputs, SizeIs(3));
  EXPECT_EQ(ctx_.outputs[0].key, ctx_.outputs[1].key);
  EXPECT_NE(ctx_.outputs[0].key, ctx_.outputs[2].key);  // another namespace
}

TEST_F(IdentityStageTest, DropsProviderRetriesUntilTheWindowPasses) {
  feedMessage({.key = "sms:SM1", .channel = v1::CHANNEL_SMS, .sender = "+15550100"});
  feedMessage({.key = "sms:SM1", .channel = v1::CHANNEL_SMS, .sender = "+15550100"});
  EXPECT_THAT(ctx_.outputs, SizeIs(1));
  EXPECT_THAT(registry_.render(),
              HasSubstr("switchboard_router_duplicates_total{stage=\"identity\"} 1"));

  ctx_.clock += std::chrono::hours(24 * 7 + 2);
  stage_.tick(ctx_);
  EXPECT_FALSE(ctx_.state.contains("idem/sms:SM1"));
  feedMessage({.key = "sms:SM1", .channel = v1::CHANNEL_SMS, .sender = "+15550100"});
  EXPECT_THAT(ctx_.outputs, SizeIs(2));
}

TEST_F(IdentityStageTest, AReplayDerivesTheSameOutputs) {
  FakeTaskContext other(2);
  metrics::MetricsRegistry other_registry;
  IdentityStage replica(topics_, IdentitySettings{}, other_registry);
  for (int i = 0; i < 3; ++i) {
    const std::string value =
        makeMessage({.key = "k" + std::to_string(i), .sender = "s" + std::to_string(i % 2)})
            .SerializeAsString();
    for (auto* c : {&ctx_, &other}) {
      stage::InputRecord record;
      record.topic = topics_.inbound;
      record.partition = 2;
      record.offset = i;
      record.value = value;
      (c == &ctx_ ? stage_ : replica).process(record, *c);
    }
  }
  ASSERT_THAT(other.outputs, SizeIs(3));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(other.outputs[i].key, ctx_.outputs[i].key);
    EXPECT_EQ(other.outputs[i].event_id, ctx_.outputs[i].event_id);
    EXPECT_EQ(other.outputs[i].value, ctx_.outputs[i].value);
  }
}

TEST_F(IdentityStageTest, AnAddressLinkedToAnotherCustomerMergesTheOldId) {
  feedMessage({.key = "em:1", .channel = v1::CHANNEL_EMAIL, .sender = "ana@example.com"});
  const std::string derived = ctx_.take().at(0).key;

  feedLink(v1::CHANNEL_EMAIL, "ana@example.com", "crm-1");
  ASSERT_THAT(ctx_.outputs, SizeIs(1));
  const stage::Output merge_out = ctx_.take()[0];
  EXPECT_EQ(merge_out.topic, topics_.customer_events);
  EXPECT_EQ(merge_out.key, derived);
  EXPECT_EQ(merge_out.event_type, "switchboard.v1.CustomerEvent");
  v1::CustomerEvent merge;
  ASSERT_TRUE(merge.ParseFromString(merge_out.value));
  EXPECT_EQ(merge.customer_id(), derived);
  EXPECT_EQ(merge.merge().into_customer_id(), "crm-1");

  // Later messages from the address belong to the CRM id.
  feedMessage({.key = "em:2", .channel = v1::CHANNEL_EMAIL, .sender = "ana@example.com"});
  ASSERT_THAT(ctx_.outputs, SizeIs(1));
  EXPECT_EQ(ctx_.outputs[0].key, "crm-1");
  EXPECT_FALSE(customerMessage(ctx_.take()[0]).new_customer());

  // The same link again, or a link for an address never seen: nothing to merge.
  feedLink(v1::CHANNEL_EMAIL, "ana@example.com", "crm-1");
  feedLink(v1::CHANNEL_SMS, "+821012345678", "crm-1");
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  EXPECT_EQ(ctx_.state.at("addr/tel/+821012345678"), "crm-1");
  feedMessage({.key = "wa:1", .channel = v1::CHANNEL_WHATSAPP, .sender = "+821012345678"});
  EXPECT_EQ(ctx_.take().at(0).key, "crm-1");
  EXPECT_THAT(registry_.render(),
              HasSubstr("switchboard_router_address_links_total{result=\"changed\"} 1"));
  EXPECT_THAT(ctx_.rejects, IsEmpty());
}

TEST_F(IdentityStageTest, RejectsWhatItCannotUse) {
  feed(topics_.inbound, "x", std::string("\x0a\xff\x01", 3));
  feedMessage({.key = "", .sender = "a"});
  feedMessage({.key = "k", .sender = ""});
  feed(topics_.identity_links, "x", std::string("\x0a\xff\x01", 3));
  feedLink(v1::CHANNEL_EMAIL, "", "crm-1");
  // A link keyed by something else than its address sits in the wrong partition.
  v1::AddressLink link;
  link.mutable_address()->set_value("ana@example.com");
  link.set_customer_id("crm-1");
  feed(topics_.identity_links, "crm-1", link.SerializeAsString());
  feed("switchboard.other.v1", "k", "");
  std::vector<std::string> reasons;
  for (const auto& [reason, detail] : ctx_.rejects) reasons.push_back(reason);
  EXPECT_THAT(reasons, ElementsAre("undecodable_record", "invalid_record", "invalid_record",
                                   "undecodable_record", "invalid_record", "invalid_record",
                                   "unexpected_topic"));
  EXPECT_THAT(ctx_.outputs, IsEmpty());
  EXPECT_THAT(ctx_.state, IsEmpty());
}

}  // namespace
}  // namespace switchboard::router
