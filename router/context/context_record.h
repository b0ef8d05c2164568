// The per-customer context record (v1::ContextState, context_state.proto) and every change the
// context stage makes to it: a customer message joins or opens a conversation (threading), a
// CRM profile updates the summary, dispatch reports who served the customer, a merged id's
// history arrives. Every list is bounded by ContextLimits, so the record stays around 1 KiB
// (target ≤ 2 KiB) however long the customer's history. Also the public view of the record,
// v1::CustomerContext, copied onto each work item.
//
// Pure: no Kafka, no clock (times come in as arguments), deterministic: the same inputs in the
// same order give the same record. Stateless functions over a caller-owned record; any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "router/policy/policy.h"
#include "switchboard/v1/context_state.pb.h"
#include "switchboard/v1/customer_context.pb.h"
#include "switchboard/v1/customer_profile.pb.h"
#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::context {

using TimePoint = std::chrono::system_clock::time_point;

struct ContextLimits {
  size_t recent_interactions = 5;
  size_t snippet_bytes = 80;
  size_t subject_bytes = 80;
  size_t display_name_bytes = 64;
  // Conversations remembered (most recent activity first); older ones are forgotten.
  size_t conversations = 3;
  size_t message_ids_per_conversation = 8;
  size_t provider_ids_per_conversation = 4;
  size_t merged_from = 8;
  // Work item ids remembered per customer to recognise a message read twice.
  size_t remembered_messages = 16;
};

// How a message found its conversation, in the order threading tries them.
enum class JoinedBy {
  kEmailThread,     // In-Reply-To / References name a Message-ID of the conversation
  kProviderThread,  // the provider's conversation id was seen in it
  kOpenWindow,      // the customer's latest conversation is still open on this channel
  kNew,
};
// "email_thread", "provider_thread", "open_window", "new" (ConversationSummary.joined_by).
std::string_view joinedByName(JoinedBy joined_by);

// Epoch milliseconds, as the record stores times.
int64_t toMillis(TimePoint t);
TimePoint fromMillis(int64_t ms);

// How long a conversation stays open for a message on `channel`: the policy's
// defaults.open_conversation_window, else policy::builtInConversationWindow. `policy` may be
// null (no policy loaded).
policy::Seconds conversationWindow(const policy::Policy* policy, v1::Channel channel);

struct ThreadChoice {
  int conversation = -1;  // index into state.conversations(); -1: open a new one
  JoinedBy joined_by = JoinedBy::kNew;
};
// Which conversation `message`, arriving at `at`, belongs to: first one whose Message-IDs
// include the message's In-Reply-To or References (however old), then one that saw its
// provider conversation id, then the most recently active one if `at` is within `window` of
// its last message (whatever channel that came from), else none.
ThreadChoice chooseConversation(const v1::ContextState& state, const v1::InboundMessage& message,
                                policy::Seconds window, TimePoint at);

struct MessageApplied {
  // The conversation as the message left it (a copy: a very late message may open a
  // conversation older than every remembered one, which the bound then drops).
  v1::ConversationRecord conversation;
  JoinedBy joined_by = JoinedBy::kNew;
};
// Whether `work_item_id` is among the customer's remembered messages (applyMessage records
// each; a transfer brings the merged id's along).
bool seenMessage(const v1::ContextState& state, std::string_view work_item_id);

// Threads `message` (chooseConversation), then records it (and remembers its work item id): the
// conversation's channels, counters, times, subject and thread keys; a new interaction (newest
// first, bounded); the detected language. Conversations are kept most recent first and bounded.
MessageApplied applyMessage(v1::ContextState& state, std::string_view customer_id,
                            const v1::InboundMessage& message, std::string_view work_item_id,
                            policy::Seconds window, TimePoint at, const ContextLimits& limits);

// A CRM profile: sets the summary (from_crm); a deleted profile clears it.
void applyProfile(v1::ContextState& state, const v1::CustomerProfile& profile,
                  const ContextLimits& limits);

// Dispatch served (or finished) `work_item_id` with `agent_id` at `at`: last agent (unless a
// later one is known) and the agent of the matching recent interaction.
void applyServed(v1::ContextState& state, std::string_view agent_id, std::string_view work_item_id,
                 TimePoint at);

// This customer id was merged into another: the record to send along (everything but the
// forwarding mark) and, left behind, only the mark `forwarded_to`.
v1::ContextState detachForMerge(v1::ContextState& state, std::string_view into_customer_id);

// The history of `from_customer_id` joins `into`: conversations and interactions merged by
// time (bounded, duplicates dropped), the later last agent, profile and language where `into`
// has none, merged_from += from (and whatever from had merged). Undoes a forwarding of `into`
// to `from` (the newer link wins), so two ids cannot forward to each other.
void applyTransfer(v1::ContextState& into, std::string_view from_customer_id,
                   const v1::ContextState& from, const ContextLimits& limits);

// A record rebuilt from a public CustomerContext (a transfer that carried no state).
v1::ContextState stateFromContext(const v1::CustomerContext& context);

// The public view: profile, recent interactions, last agent, language, merges and, when
// `conversation` is not null, its summary (joined_by and is_new from `joined_by`).
v1::CustomerContext toCustomerContext(const v1::ContextState& state, std::string_view customer_id,
                                      const v1::ConversationRecord* conversation = nullptr,
                                      JoinedBy joined_by = JoinedBy::kNew);

}  // namespace switchboard::context
