#include "router/context/context_record.h"

#include <algorithm>

#include "router/context/customer_ids.h"
#include "router/context/text.h"

namespace switchboard::context {
namespace {

using google::protobuf::RepeatedField;
using google::protobuf::RepeatedPtrField;

// Stable insertion sort through SwapElements (pointer swaps): the lists are a handful of
// entries, and a stable order keeps equal times in arrival order.
template <typename T, typename Before>
void stableSort(RepeatedPtrField<T>* field, Before before) {
  for (int i = 1; i < field->size(); ++i) {
    for (int j = i; j > 0 && before(field->Get(j), field->Get(j - 1)); --j) {
      field->SwapElements(j, j - 1);
    }
  }
}

template <typename T>
void truncate(RepeatedPtrField<T>* field, size_t limit) {
  if (static_cast<size_t>(field->size()) > limit) {
    field->DeleteSubrange(static_cast<int>(limit), field->size() - static_cast<int>(limit));
  }
}

// Appends `value` unless present; then drops the oldest (front) beyond `limit`.
template <typename T>
void appendBounded(RepeatedField<T>* field, T value, size_t limit) {
  if (std::find(field->begin(), field->end(), value) != field->end()) return;
  field->Add(value);
  const int excess = field->size() - static_cast<int>(limit);
  if (excess > 0) field->erase(field->begin(), field->begin() + excess);
}

void appendBounded(RepeatedPtrField<std::string>* field, std::string_view value, size_t limit) {
  if (value.empty()) return;
  if (std::find(field->begin(), field->end(), value) != field->end()) return;
  field->Add(std::string(value));
  const int excess = field->size() - static_cast<int>(limit);
  if (excess > 0) field->DeleteSubrange(0, excess);
}

template <typename T>
bool contains(const RepeatedField<T>& field, T value) {
  return std::find(field.begin(), field.end(), value) != field.end();
}

bool moreRecentConversation(const v1::ConversationRecord& a, const v1::ConversationRecord& b) {
  return a.last_message_at_ms() > b.last_message_at_ms();
}

bool newerInteraction(const v1::InteractionRecord& a, const v1::InteractionRecord& b) {
  return a.at_ms() > b.at_ms();
}

void setMillis(google::protobuf::Timestamp* ts, int64_t ms) {
  int64_t seconds = ms / 1000;
  int64_t rest = ms % 1000;
  if (rest < 0) {
    rest += 1000;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(rest * 1000000));
}

int64_t millisOf(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000 + ts.nanos() / 1000000;
}

int findConversation(const v1::ContextState& state, std::string_view id) {
  for (int i = 0; i < state.conversations_size(); ++i) {
    if (state.conversations(i).conversation_id() == id) return i;
  }
  return -1;
}

}  // namespace

std::string_view joinedByName(JoinedBy joined_by) {
  switch (joined_by) {
    case JoinedBy::kEmailThread: return "email_thread";
    case JoinedBy::kProviderThread: return "provider_thread";
    case JoinedBy::kOpenWindow: return "open_window";
    case JoinedBy::kNew: return "new";
  }
  return "new";
}

int64_t toMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint fromMillis(int64_t ms) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

policy::Seconds conversationWindow(const policy::Policy* policy, v1::Channel channel) {
  if (policy != nullptr) {
    if (const auto& window = policy->defaults.open_conversation_window.get(channel)) {
      return *window;
    }
  }
  return policy::builtInConversationWindow(channel);
}

ThreadChoice chooseConversation(const v1::ContextState& state, const v1::InboundMessage& message,
                                policy::Seconds window, TimePoint at) {
  const v1::ThreadHints& thread = message.thread();
  const int count = state.conversations_size();

  // 1. Email headers: a reply names earlier Message-IDs of its thread. The agent's replies
  // never pass the router, but References carries the whole chain, the customer's own
  // earlier messages included.
  if (!thread.in_reply_to().empty() || thread.references_size() > 0) {
    auto referenced = [&](uint64_t hash) {
      if (threadKeyHash(thread.in_reply_to()) == hash) return true;
      for (const auto& reference : thread.references()) {
        if (threadKeyHash(reference) == hash) return true;
      }
      return false;
    };
    for (int i = 0; i < count; ++i) {
      for (uint64_t hash : state.conversations(i).message_id_hashes()) {
        if (referenced(hash)) return {i, JoinedBy::kEmailThread};
      }
    }
  }

  // 2. The provider's own conversation (web-chat session, WhatsApp conversation).
  if (const uint64_t hash = threadKeyHash(thread.provider_conversation_id()); hash != 0) {
    for (int i = 0; i < count; ++i) {
      if (contains(state.conversations(i).provider_conversation_hashes(), hash)) {
        return {i, JoinedBy::kProviderThread};
      }
    }
  }

  // 3. The latest conversation, still open for this channel: an email followed by a chat an
  // hour later continues one conversation.
  int latest = -1;
  for (int i = 0; i < count; ++i) {
    if (latest < 0 || moreRecentConversation(state.conversations(i), state.conversations(latest))) {
      latest = i;
    }
  }
  if (latest >= 0) {
    const TimePoint last = fromMillis(state.conversations(latest).last_message_at_ms());
    if (at - last <= window) return {latest, JoinedBy::kOpenWindow};
  }
  return {-1, JoinedBy::kNew};
}

bool seenMessage(const v1::ContextState& state, std::string_view work_item_id) {
  return contains(state.message_hashes(), threadKeyHash(work_item_id));
}

MessageApplied applyMessage(v1::ContextState& state, std::string_view customer_id,
                            const v1::InboundMessage& message, std::string_view work_item_id,
                            policy::Seconds window, TimePoint at, const ContextLimits& limits) {
  const ThreadChoice choice = chooseConversation(state, message, window, at);
  const int64_t at_ms = toMillis(at);
  const v1::ThreadHints& thread = message.thread();

  v1::ConversationRecord* conversation = nullptr;
  if (choice.conversation < 0) {
    conversation = state.add_conversations();
    conversation->set_conversation_id(newConversationId(customer_id, message));
    conversation->set_opened_at_ms(at_ms);
    conversation->set_last_message_at_ms(at_ms);
  } else {
    conversation = state.mutable_conversations(choice.conversation);
    conversation->set_last_message_at_ms(std::max(conversation->last_message_at_ms(), at_ms));
  }
  conversation->set_message_count(conversation->message_count() + 1);
  if (!contains(conversation->channels(), static_cast<int>(message.channel()))) {
    conversation->add_channels(message.channel());
  }
  if (conversation->subject().empty()) {
    conversation->set_subject(
        makeSubject(thread.subject().empty() ? std::string_view(message.text()) : thread.subject(),
                    limits.subject_bytes));
  }
  if (const uint64_t hash = threadKeyHash(thread.message_id()); hash != 0) {
    appendBounded(conversation->mutable_message_id_hashes(), hash,
                  limits.message_ids_per_conversation);
  }
  if (const uint64_t hash = threadKeyHash(thread.provider_conversation_id()); hash != 0) {
    appendBounded(conversation->mutable_provider_conversation_hashes(), hash,
                  limits.provider_ids_per_conversation);
  }
  MessageApplied applied;
  applied.conversation = *conversation;
  applied.joined_by = choice.joined_by;

  stableSort(state.mutable_conversations(), moreRecentConversation);
  truncate(state.mutable_conversations(), limits.conversations);

  // The interaction, newest first: bubble it past older ones (equal times: the new one first).
  v1::InteractionRecord* interaction = state.add_recent();
  interaction->set_channel(message.channel());
  interaction->set_at_ms(at_ms);
  interaction->set_conversation_id(applied.conversation.conversation_id());
  interaction->set_work_item_id(std::string(work_item_id));
  interaction->set_snippet(
      makeSnippet(message.text().empty() ? std::string_view(thread.subject()) : message.text(),
                  limits.snippet_bytes));
  auto* recent = state.mutable_recent();
  for (int j = recent->size() - 1; j > 0 && recent->Get(j).at_ms() >= recent->Get(j - 1).at_ms();
       --j) {
    recent->SwapElements(j, j - 1);
  }
  truncate(recent, limits.recent_interactions);
  appendBounded(state.mutable_message_hashes(), threadKeyHash(work_item_id),
                limits.remembered_messages);

  if (!message.language().empty()) state.set_detected_language(message.language());
  return applied;
}

void applyProfile(v1::ContextState& state, const v1::CustomerProfile& profile,
                  const ContextLimits& limits) {
  if (profile.deleted()) {
    state.clear_profile();
    return;
  }
  v1::ProfileSummary* summary = state.mutable_profile();
  summary->set_tier(profile.tier());
  summary->set_language(profile.language());
  summary->set_lifetime_value_minor(profile.lifetime_value_minor());
  summary->set_display_name(
      std::string(truncateUtf8(profile.display_name(), limits.display_name_bytes)));
  summary->set_from_crm(true);
}

void applyServed(v1::ContextState& state, std::string_view agent_id, std::string_view work_item_id,
                 TimePoint at) {
  if (agent_id.empty()) return;
  const int64_t at_ms = toMillis(at);
  if (state.last_agent_id().empty() || at_ms >= state.last_served_at_ms()) {
    state.set_last_agent_id(std::string(agent_id));
    state.set_last_served_at_ms(at_ms);
  }
  if (work_item_id.empty()) return;
  for (auto& interaction : *state.mutable_recent()) {
    if (interaction.work_item_id() == work_item_id) {
      interaction.set_agent_id(std::string(agent_id));
    }
  }
}

v1::ContextState detachForMerge(v1::ContextState& state, std::string_view into_customer_id) {
  v1::ContextState moved;
  moved.Swap(&state);
  moved.clear_forwarded_to();
  state.set_forwarded_to(std::string(into_customer_id));
  return moved;
}

void applyTransfer(v1::ContextState& into, std::string_view from_customer_id,
                   const v1::ContextState& from, const ContextLimits& limits) {
  if (into.forwarded_to() == from_customer_id) into.clear_forwarded_to();

  for (const auto& conversation : from.conversations()) {
    if (findConversation(into, conversation.conversation_id()) < 0) {
      *into.add_conversations() = conversation;
    }
  }
  stableSort(into.mutable_conversations(), moreRecentConversation);
  truncate(into.mutable_conversations(), limits.conversations);

  for (const auto& interaction : from.recent()) {
    const bool known =
        !interaction.work_item_id().empty() &&
        std::any_of(into.recent().begin(), into.recent().end(), [&](const auto& mine) {
          return mine.work_item_id() == interaction.work_item_id();
        });
    if (!known) *into.add_recent() = interaction;
  }
  stableSort(into.mutable_recent(), newerInteraction);
  truncate(into.mutable_recent(), limits.recent_interactions);

  if (!from.last_agent_id().empty() &&
      (into.last_agent_id().empty() || from.last_served_at_ms() > into.last_served_at_ms())) {
    into.set_last_agent_id(from.last_agent_id());
    into.set_last_served_at_ms(from.last_served_at_ms());
  }
  if (!into.has_profile() && from.has_profile()) *into.mutable_profile() = from.profile();
  if (into.detected_language().empty()) into.set_detected_language(from.detected_language());

  for (const uint64_t hash : from.message_hashes()) {
    appendBounded(into.mutable_message_hashes(), hash, limits.remembered_messages);
  }
  for (const auto& earlier : from.merged_from()) {
    appendBounded(into.mutable_merged_from(), earlier, limits.merged_from);
  }
  appendBounded(into.mutable_merged_from(), from_customer_id, limits.merged_from);
}

v1::ContextState stateFromContext(const v1::CustomerContext& context) {
  v1::ContextState state;
  if (context.has_profile()) *state.mutable_profile() = context.profile();
  if (context.has_conversation() && !context.conversation().conversation_id().empty()) {
    const v1::ConversationSummary& summary = context.conversation();
    v1::ConversationRecord* record = state.add_conversations();
    record->set_conversation_id(summary.conversation_id());
    record->set_opened_at_ms(millisOf(summary.opened_at()));
    record->set_last_message_at_ms(millisOf(summary.last_message_at()));
    for (int channel : summary.channels()) record->add_channels(static_cast<v1::Channel>(channel));
    record->set_message_count(summary.message_count());
    record->set_subject(summary.subject());
  }
  for (const auto& interaction : context.recent()) {
    v1::InteractionRecord* record = state.add_recent();
    record->set_channel(interaction.channel());
    record->set_at_ms(millisOf(interaction.at()));
    record->set_conversation_id(interaction.conversation_id());
    record->set_work_item_id(interaction.work_item_id());
    record->set_agent_id(interaction.agent_id());
    record->set_snippet(interaction.snippet());
  }
  state.set_last_agent_id(context.last_agent_id());
  state.set_last_served_at_ms(millisOf(context.last_served_at()));
  state.set_detected_language(context.detected_language());
  *state.mutable_merged_from() = context.merged_from();
  return state;
}

v1::CustomerContext toCustomerContext(const v1::ContextState& state, std::string_view customer_id,
                                      const v1::ConversationRecord* conversation,
                                      JoinedBy joined_by) {
  v1::CustomerContext context;
  context.set_customer_id(std::string(customer_id));
  if (state.has_profile()) *context.mutable_profile() = state.profile();
  if (conversation != nullptr) {
    v1::ConversationSummary* summary = context.mutable_conversation();
    summary->set_conversation_id(conversation->conversation_id());
    setMillis(summary->mutable_opened_at(), conversation->opened_at_ms());
    setMillis(summary->mutable_last_message_at(), conversation->last_message_at_ms());
    *summary->mutable_channels() = conversation->channels();
    summary->set_message_count(conversation->message_count());
    summary->set_subject(conversation->subject());
    summary->set_is_new(joined_by == JoinedBy::kNew);
    summary->set_joined_by(std::string(joinedByName(joined_by)));
  }
  for (const auto& record : state.recent()) {
    v1::Interaction* interaction = context.add_recent();
    interaction->set_channel(record.channel());
    setMillis(interaction->mutable_at(), record.at_ms());
    interaction->set_conversation_id(record.conversation_id());
    interaction->set_work_item_id(record.work_item_id());
    interaction->set_agent_id(record.agent_id());
    interaction->set_snippet(record.snippet());
  }
  context.set_last_agent_id(state.last_agent_id());
  if (!state.last_agent_id().empty()) {
    setMillis(context.mutable_last_served_at(), state.last_served_at_ms());
  }
  context.set_detected_language(state.detected_language());
  *context.mutable_merged_from() = state.merged_from();
  return context;
}

}  // namespace switchboard::context
