#include "router/context/context_record.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "router/context/customer_ids.h"
#include "router/context/text.h"
#include "tests/unit/router/context/context_test_util.h"

namespace switchboard::context {
namespace {

using ::testing::ElementsAre;
using testing::makeMessage;
using testing::Msg;
using ::testing::SizeIs;
using testing::utc;

constexpr std::string_view kCustomer = "c-ana";
const TimePoint kT0 = utc(2026, 3, 9, 3, 0);

class ContextRecordTest : public ::testing::Test {
 protected:
  // Applies a message with the example policy's window for its channel.
  MessageApplied apply(v1::ContextState& state, const Msg& m, TimePoint at) {
    const v1::InboundMessage message = makeMessage(m);
    return applyMessage(state, kCustomer, message, workItemIdFor(message),
                        conversationWindow(&policy_, m.channel), at, limits_);
  }
  MessageApplied apply(const Msg& m, TimePoint at) { return apply(state_, m, at); }

  policy::Policy policy_ = policy::testing::examplePolicy();
  ContextLimits limits_;
  v1::ContextState state_;
};

TEST_F(ContextRecordTest, FirstMessageOpensAConversationWithADeterministicId) {
  const MessageApplied first =
      apply({.key = "k1", .channel = v1::CHANNEL_EMAIL, .subject = "Re: Refund"}, kT0);
  EXPECT_EQ(first.joined_by, JoinedBy::kNew);
  const std::string id = first.conversation.conversation_id();
  EXPECT_TRUE(id.starts_with("c-ana/"));
  EXPECT_EQ(id.size(), std::string("c-ana/").size() + 16);
  EXPECT_EQ(first.conversation.subject(), "Refund");
  EXPECT_EQ(first.conversation.opened_at_ms(), toMillis(kT0));

  // A replay of the same input into a fresh record derives the same id.
  v1::ContextState replay;
  EXPECT_EQ(apply(replay, {.key = "k1", .channel = v1::CHANNEL_EMAIL}, kT0)
                .conversation.conversation_id(),
            id);
  // Another message opens another one.
  v1::ContextState other;
  EXPECT_NE(apply(other, {.key = "k2"}, kT0).conversation.conversation_id(), id);

  ASSERT_THAT(state_.recent(), SizeIs(1));
  EXPECT_EQ(state_.recent(0).conversation_id(), id);
  EXPECT_EQ(state_.recent(0).work_item_id(), workItemIdFor(makeMessage({.key = "k1"})));
  EXPECT_EQ(state_.recent(0).snippet(), "hello");
}

TEST_F(ContextRecordTest, ChatWithinTheWindowContinuesAnEmailConversation) {
  const auto email = apply({.key = "e1", .channel = v1::CHANNEL_EMAIL}, kT0);
  const auto chat =
      apply({.key = "c1", .channel = v1::CHANNEL_CHAT}, kT0 + std::chrono::minutes(29));
  EXPECT_EQ(chat.joined_by, JoinedBy::kOpenWindow);
  EXPECT_EQ(chat.conversation.conversation_id(), email.conversation.conversation_id());
  EXPECT_THAT(chat.conversation.channels(), ElementsAre(v1::CHANNEL_EMAIL, v1::CHANNEL_CHAT));
  EXPECT_EQ(chat.conversation.message_count(), 2u);
  EXPECT_EQ(chat.conversation.last_message_at_ms(), toMillis(kT0 + std::chrono::minutes(29)));
  EXPECT_THAT(state_.conversations(), SizeIs(1));
}

TEST_F(ContextRecordTest, TheNewMessagesChannelDecidesTheWindow) {
  // Chat's window is 30 minutes, email's 72 hours (example.yaml).
  const auto email = apply({.key = "e1", .channel = v1::CHANNEL_EMAIL}, kT0);
  const auto chat = apply({.key = "c1"}, kT0 + std::chrono::minutes(31));
  EXPECT_EQ(chat.joined_by, JoinedBy::kNew);
  EXPECT_NE(chat.conversation.conversation_id(), email.conversation.conversation_id());

  const auto email2 =
      apply({.key = "e2", .channel = v1::CHANNEL_EMAIL}, kT0 + std::chrono::hours(50));
  EXPECT_EQ(email2.joined_by, JoinedBy::kOpenWindow);
  EXPECT_EQ(email2.conversation.conversation_id(), chat.conversation.conversation_id());
  // Most recent activity first.
  EXPECT_EQ(state_.conversations(0).conversation_id(), chat.conversation.conversation_id());
  EXPECT_EQ(state_.conversations(1).conversation_id(), email.conversation.conversation_id());
}

TEST_F(ContextRecordTest, AnotherChatAfterTheWindowOpensANewConversation) {
  const auto first = apply({.key = "c1"}, kT0);
  const auto within = apply({.key = "c2"}, kT0 + std::chrono::minutes(30));
  EXPECT_EQ(within.conversation.conversation_id(), first.conversation.conversation_id());
  const auto after = apply({.key = "c3"}, kT0 + std::chrono::minutes(61));
  EXPECT_EQ(after.joined_by, JoinedBy::kNew);
  EXPECT_NE(after.conversation.conversation_id(), first.conversation.conversation_id());
}

TEST_F(ContextRecordTest, EmailHeadersJoinTheirThreadEvenAfterTheWindow) {
  const auto original = apply({.key = "e1",
                               .channel = v1::CHANNEL_EMAIL,
                               .message_id = "<m1@mail.example>",
                               .subject = "Broken blender"},
                              kT0);
  const auto chat = apply({.key = "c1"}, kT0 + std::chrono::hours(24 * 5));
  ASSERT_NE(chat.conversation.conversation_id(), original.conversation.conversation_id());

  // Ten days later the customer answers the agent's reply (whose Message-ID the router never
  // saw); References carries the customer's first Message-ID.
  const auto reply = apply({.key = "e2",
                            .channel = v1::CHANNEL_EMAIL,
                            .message_id = "<m3@mail.example>",
                            .in_reply_to = "<agent-2@desk.example>",
                            .references = {"<m1@mail.example>", "<agent-2@desk.example>"}},
                           kT0 + std::chrono::hours(24 * 10));
  EXPECT_EQ(reply.joined_by, JoinedBy::kEmailThread);
  EXPECT_EQ(reply.conversation.conversation_id(), original.conversation.conversation_id());
  EXPECT_EQ(reply.conversation.subject(), "Broken blender");
  EXPECT_THAT(reply.conversation.message_id_hashes(),
              ElementsAre(threadKeyHash("m1@mail.example"), threadKeyHash("m3@mail.example")));

  // In-Reply-To alone is enough.
  const auto second =
      apply({.key = "e3", .channel = v1::CHANNEL_EMAIL, .in_reply_to = "m3@mail.example"},
            kT0 + std::chrono::hours(24 * 20));
  EXPECT_EQ(second.joined_by, JoinedBy::kEmailThread);
  EXPECT_EQ(second.conversation.conversation_id(), original.conversation.conversation_id());
}

TEST_F(ContextRecordTest, ProviderConversationIdBeatsTheOpenWindow) {
  const auto a = apply({.key = "c1", .provider_conversation_id = "session-a"}, kT0);
  const auto b =
      apply({.key = "c2", .provider_conversation_id = "session-b"}, kT0 + std::chrono::hours(2));
  ASSERT_EQ(b.joined_by, JoinedBy::kNew);
  // Within b's window, but the provider says it is session a.
  const auto again = apply({.key = "c3", .provider_conversation_id = "session-a"},
                           kT0 + std::chrono::hours(2) + std::chrono::minutes(5));
  EXPECT_EQ(again.joined_by, JoinedBy::kProviderThread);
  EXPECT_EQ(again.conversation.conversation_id(), a.conversation.conversation_id());
  // An unknown session within the window continues the latest conversation.
  const auto other = apply({.key = "c4", .provider_conversation_id = "session-c"},
                           kT0 + std::chrono::hours(2) + std::chrono::minutes(6));
  EXPECT_EQ(other.joined_by, JoinedBy::kOpenWindow);
  EXPECT_EQ(other.conversation.conversation_id(), a.conversation.conversation_id());
}

TEST_F(ContextRecordTest, ListsStayBounded) {
  // 12 emails in one thread, each replying to the previous one.
  std::string previous;
  for (int i = 0; i < 12; ++i) {
    const std::string id = "m" + std::to_string(i) + "@mail.example";
    apply({.key = "e" + std::to_string(i),
           .channel = v1::CHANNEL_EMAIL,
           .text = "message " + std::to_string(i) + std::string(200, 'x'),
           .message_id = id,
           .in_reply_to = previous},
          kT0 + std::chrono::hours(100 * i));  // beyond the 72h window: only headers join
    previous = id;
  }
  ASSERT_THAT(state_.conversations(), SizeIs(1));
  const auto& thread = state_.conversations(0);
  EXPECT_EQ(thread.message_count(), 12u);
  ASSERT_THAT(thread.message_id_hashes(), SizeIs(8));
  EXPECT_EQ(thread.message_id_hashes(0), threadKeyHash("m4@mail.example"));
  EXPECT_EQ(thread.message_id_hashes(7), threadKeyHash("m11@mail.example"));
  ASSERT_THAT(state_.recent(), SizeIs(5));
  EXPECT_TRUE(state_.recent(0).snippet().starts_with("message 11x"));
  EXPECT_TRUE(state_.recent(4).snippet().starts_with("message 7x"));
  for (const auto& interaction : state_.recent()) EXPECT_EQ(interaction.snippet().size(), 80u);

  // A reply to a Message-ID the record forgot no longer joins by header.
  const auto late =
      apply({.key = "late", .channel = v1::CHANNEL_EMAIL, .in_reply_to = "m1@mail.example"},
            kT0 + std::chrono::hours(100 * 11 + 73));
  EXPECT_EQ(late.joined_by, JoinedBy::kNew);

  // Conversations: at most 3, the most recent kept.
  for (int i = 0; i < 5; ++i) {
    apply({.key = "chat" + std::to_string(i)}, kT0 + std::chrono::hours(2000 + i));
  }
  ASSERT_THAT(state_.conversations(), SizeIs(3));
  EXPECT_EQ(state_.conversations(0).last_message_at_ms(), toMillis(kT0 + std::chrono::hours(2004)));
  EXPECT_EQ(state_.conversations(2).last_message_at_ms(), toMillis(kT0 + std::chrono::hours(2002)));
}

TEST_F(ContextRecordTest, OutOfOrderMessagesKeepInteractionsNewestFirst) {
  apply({.key = "a", .text = "a"}, kT0 + std::chrono::minutes(10));
  apply({.key = "b", .text = "b"}, kT0);
  apply({.key = "c", .text = "c"}, kT0 + std::chrono::minutes(5));
  ASSERT_THAT(state_.recent(), SizeIs(3));
  EXPECT_EQ(state_.recent(0).snippet(), "a");
  EXPECT_EQ(state_.recent(1).snippet(), "c");
  EXPECT_EQ(state_.recent(2).snippet(), "b");
  ASSERT_THAT(state_.conversations(), SizeIs(1));
  EXPECT_EQ(state_.conversations(0).last_message_at_ms(), toMillis(kT0 + std::chrono::minutes(10)));
}

TEST_F(ContextRecordTest, SnippetsAreUtf8Safe) {
  std::string korean;
  for (int i = 0; i < 40; ++i) korean += "환불";
  apply({.key = "k", .text = korean, .language = "ko"}, kT0);
  EXPECT_EQ(state_.recent(0).snippet(), korean.substr(0, 78));
  EXPECT_EQ(state_.detected_language(), "ko");
  EXPECT_EQ(state_.conversations(0).subject(), korean.substr(0, 78));
  std::string bytes;
  EXPECT_TRUE(state_.SerializeToString(&bytes));
  v1::ContextState parsed;
  EXPECT_TRUE(parsed.ParseFromString(bytes));  // proto3 checks UTF-8 of string fields
}

TEST_F(ContextRecordTest, ProfileUpdateAndDelete) {
  v1::CustomerProfile profile;
  profile.set_customer_id("crm-1");
  profile.set_tier("vip");
  profile.set_language("ko");
  profile.set_lifetime_value_minor(1250000);
  profile.set_display_name("김민준 " + std::string(100, 'x'));
  applyProfile(state_, profile, limits_);
  EXPECT_EQ(state_.profile().tier(), "vip");
  EXPECT_EQ(state_.profile().language(), "ko");
  EXPECT_EQ(state_.profile().lifetime_value_minor(), 1250000);
  EXPECT_EQ(state_.profile().display_name().size(), 64u);
  EXPECT_TRUE(state_.profile().from_crm());

  profile.set_tier("standard");
  applyProfile(state_, profile, limits_);
  EXPECT_EQ(state_.profile().tier(), "standard");

  apply({.key = "k"}, kT0);
  profile.set_deleted(true);
  applyProfile(state_, profile, limits_);
  EXPECT_FALSE(state_.has_profile());
  EXPECT_THAT(state_.recent(), SizeIs(1));  // history stays
}

TEST_F(ContextRecordTest, ServedRecordsTheAgentAndTheLatestWins) {
  const auto applied = apply({.key = "k1"}, kT0);
  const std::string wi = workItemIdFor(makeMessage({.key = "k1"}));
  applyServed(state_, "minji", wi, kT0 + std::chrono::seconds(30));
  EXPECT_EQ(state_.last_agent_id(), "minji");
  EXPECT_EQ(state_.last_served_at_ms(), toMillis(kT0 + std::chrono::seconds(30)));
  EXPECT_EQ(state_.recent(0).agent_id(), "minji");
  // An older report does not replace the last agent.
  applyServed(state_, "jisoo", "wi-other", kT0);
  EXPECT_EQ(state_.last_agent_id(), "minji");

  const v1::CustomerContext context =
      toCustomerContext(state_, kCustomer, &applied.conversation, applied.joined_by);
  EXPECT_EQ(context.last_agent_id(), "minji");
  EXPECT_EQ(context.last_served_at().seconds(), toMillis(kT0 + std::chrono::seconds(30)) / 1000);
  ASSERT_THAT(context.recent(), SizeIs(1));
  EXPECT_EQ(context.recent(0).agent_id(), "minji");
  EXPECT_TRUE(context.conversation().is_new());
  EXPECT_EQ(context.conversation().joined_by(), "new");
}

TEST_F(ContextRecordTest, MergeMovesTheWholeHistory) {
  // X: an email thread served by minji. Y (the CRM id): a chat.
  v1::ContextState x;
  const auto x_email = apply(
      x,
      {.key = "x1", .channel = v1::CHANNEL_EMAIL, .text = "x1", .message_id = "<x1@mail.example>"},
      kT0);
  apply(x, {.key = "x2", .channel = v1::CHANNEL_EMAIL, .text = "x2"}, kT0 + std::chrono::hours(2));
  applyServed(x, "minji", workItemIdFor(makeMessage({.key = "x1"})), kT0 + std::chrono::hours(3));
  apply(state_, {.key = "y1", .text = "y1"}, kT0 + std::chrono::hours(1));

  const v1::ContextState moved = detachForMerge(x, "crm-1");
  EXPECT_EQ(x.forwarded_to(), "crm-1");
  EXPECT_THAT(x.recent(), SizeIs(0));
  EXPECT_TRUE(moved.forwarded_to().empty());

  applyTransfer(state_, "c-x", moved, limits_);
  ASSERT_THAT(state_.recent(), SizeIs(3));
  EXPECT_EQ(state_.recent(0).snippet(), "x2");
  EXPECT_EQ(state_.recent(1).snippet(), "y1");
  EXPECT_EQ(state_.recent(2).snippet(), "x1");
  EXPECT_EQ(state_.recent(2).agent_id(), "minji");
  EXPECT_THAT(state_.conversations(), SizeIs(2));
  EXPECT_EQ(state_.last_agent_id(), "minji");
  EXPECT_THAT(state_.merged_from(), ElementsAre("c-x"));

  // A transfer applied twice (a replayed merge) changes nothing more.
  const std::string before = state_.SerializeAsString();
  applyTransfer(state_, "c-x", moved, limits_);
  EXPECT_EQ(state_.SerializeAsString(), before);

  // A reply to X's old email thread joins X's conversation, now in Y's record.
  const auto reply =
      apply({.key = "x3", .channel = v1::CHANNEL_EMAIL, .references = {"x1@mail.example"}},
            kT0 + std::chrono::hours(24 * 30));
  EXPECT_EQ(reply.joined_by, JoinedBy::kEmailThread);
  EXPECT_EQ(reply.conversation.conversation_id(), x_email.conversation.conversation_id());
}

TEST_F(ContextRecordTest, TransferKeepsTheNewestBoundedHistory) {
  v1::ContextState x;
  for (int i = 0; i < 5; ++i) {
    apply(x, {.key = "x" + std::to_string(i), .text = "x" + std::to_string(i)},
          kT0 + std::chrono::hours(2 * i));
    apply(state_, {.key = "y" + std::to_string(i), .text = "y" + std::to_string(i)},
          kT0 + std::chrono::hours(2 * i + 1));
  }
  applyTransfer(state_, "c-x", detachForMerge(x, "y"), limits_);
  std::vector<std::string> snippets;
  for (const auto& r : state_.recent()) snippets.push_back(r.snippet());
  EXPECT_THAT(snippets, ElementsAre("y4", "x4", "y3", "x3", "y2"));
  EXPECT_THAT(state_.conversations(), SizeIs(3));
}

TEST_F(ContextRecordTest, TransferUndoesAForwardingTheOtherWay) {
  state_.set_forwarded_to("c-x");
  applyTransfer(state_, "c-x", v1::ContextState(), limits_);
  EXPECT_TRUE(state_.forwarded_to().empty());
}

TEST_F(ContextRecordTest, StateFromContextKeepsWhatTheContextCarries) {
  const auto applied = apply({.key = "k1", .channel = v1::CHANNEL_EMAIL, .subject = "Hi"}, kT0);
  applyServed(state_, "minji", "", kT0 + std::chrono::minutes(1));
  const v1::ContextState rebuilt =
      stateFromContext(toCustomerContext(state_, kCustomer, &applied.conversation));
  EXPECT_EQ(rebuilt.recent(0).SerializeAsString(), state_.recent(0).SerializeAsString());
  EXPECT_EQ(rebuilt.last_agent_id(), "minji");
  EXPECT_EQ(rebuilt.last_served_at_ms(), state_.last_served_at_ms());
  ASSERT_THAT(rebuilt.conversations(), SizeIs(1));
  EXPECT_EQ(rebuilt.conversations(0).conversation_id(), applied.conversation.conversation_id());
  EXPECT_EQ(rebuilt.conversations(0).subject(), "Hi");
}

TEST_F(ContextRecordTest, ATypicalRecordStaysUnderTwoKibibytes) {
  v1::CustomerProfile profile;
  profile.set_customer_id("crm-000123456");
  profile.set_tier("vip");
  profile.set_language("pt-BR");
  profile.set_lifetime_value_minor(123456789);
  profile.set_display_name("Ana Beatriz Lima");
  applyProfile(state_, profile, limits_);
  // Two conversations: a long email thread (8 Message-IDs kept) and a chat, 5+ interactions
  // with full 80-byte snippets, an agent.
  std::string previous;
  for (int i = 0; i < 10; ++i) {
    const std::string id = "CAF" + std::to_string(i) + "x7Yq@mail.gmail.com";
    apply({.key = "sendgrid:e" + std::to_string(i),
           .channel = v1::CHANNEL_EMAIL,
           .text = std::string(300, 'e'),
           .message_id = id,
           .in_reply_to = previous,
           .subject = "Re: My order 4521 arrived damaged and I would like a replacement soon"},
          kT0 + std::chrono::hours(i));
    previous = id;
  }
  for (int i = 0; i < 3; ++i) {
    apply({.key = "chat:" + std::to_string(i),
           .text = std::string(300, 'c'),
           .provider_conversation_id = "webchat-session-5d8f2a9c"},
          kT0 + std::chrono::hours(100) + std::chrono::minutes(i));
  }
  applyServed(state_, "agent-00042", state_.recent(0).work_item_id(),
              kT0 + std::chrono::hours(101));
  ASSERT_THAT(state_.conversations(), SizeIs(2));
  ASSERT_THAT(state_.recent(), SizeIs(5));
  const size_t bytes = state_.ByteSizeLong();
  EXPECT_LE(bytes, 2048u);
  EXPECT_GE(bytes, 700u);  // a realistic record, not an empty one
  RecordProperty("context_state_bytes", static_cast<int>(bytes));
}

}  // namespace
}  // namespace switchboard::context
