// The identity stage's naming rules, pure so that tests and tools derive the same ids:
// which namespace a channel's addresses live in, the state key of an address, the customer
// id given to an unknown sender, and the ids derived from a customer message (work item,
// conversation). Every id is derived from its input alone, so that a replay or a second
// instance computes the same one. Stateless; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "switchboard/v1/envelope.pb.h"
#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::context {

// The namespace of a channel's address values: "email"; "tel" for SMS, WhatsApp and voice
// (one E.164 number, one person, whichever of those channels they use); "chat", "messenger",
// "instagram", "x", "telegram"; "other" for unspecified or unknown channels.
std::string_view addressNamespace(v1::Channel channel);

// "addr/<namespace>/<value>": where identity keeps the address's customer id.
std::string addressStateKey(const v1::Address& address);

// The customer id of a sender never linked to a CRM profile: "c-" + 20 hex of
// SHA-256("<namespace>:<value>").
std::string derivedCustomerId(const v1::Address& address);

// The message's stable key: its idempotency key, else its event id (empty when both are).
std::string_view messageKey(const v1::InboundMessage& message);

// "wi-" + 24 hex of SHA-256(messageKey): a provider retry maps to the same work item.
std::string workItemIdFor(const v1::InboundMessage& message);

// "<customer_id>/" + 16 hex of SHA-256(event id, else idempotency key) of the message that
// opened the conversation.
std::string newConversationId(std::string_view customer_id, const v1::InboundMessage& message);

// An event id derived from the input record an output came from and the output's index:
// `prefix` + 24 hex of SHA-256("<topic>/<partition>/<offset>/<index>"). Unique per output and
// the same when the input is replayed.
std::string inputDerivedId(std::string_view prefix, std::string_view topic, int32_t partition,
                           int64_t offset, int index = 0);

}  // namespace switchboard::context
