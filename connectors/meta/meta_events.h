// Internal to the Meta connector: turns the `entry` array of a verified, parsed webhook body
// into InboundMessages and notices. messaging_events.cc handles Messenger and Instagram
// (`entry[].messaging[]`), whatsapp_events.cc the WhatsApp Cloud API (`entry[].changes[]`).
// Each event is used or counted as a notice; nothing here refuses the request, because Meta
// retries a refused POST as a whole. Pure functions, safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "connectors/connector.h"

namespace switchboard::connectors::meta {

// Notice kinds: metric labels (switchboard_ingress_notices_total{kind}), so a fixed set.
namespace notice {
inline constexpr std::string_view kEcho = "echo";            // the business's own message
inline constexpr std::string_view kRead = "read";            // read receipt (messaging_seen)
inline constexpr std::string_view kDelivery = "delivery";    // Messenger delivery receipt
inline constexpr std::string_view kReaction = "reaction";    // emoji reaction to a message
inline constexpr std::string_view kPostback = "postback";    // button / menu / Get Started
inline constexpr std::string_view kReferral = "referral";    // m.me / ig.me / ad referral
inline constexpr std::string_view kOptin = "optin";          // opt-in / notification request
inline constexpr std::string_view kEdit = "edit";            // a customer edited a message
inline constexpr std::string_view kDeleted = "deleted";      // a customer unsent a message
inline constexpr std::string_view kStandby = "standby";      // handover: another app owns it
inline constexpr std::string_view kHandover = "handover";    // thread control changed hands
inline constexpr std::string_view kStatus = "status";        // WhatsApp sent/delivered/read
inline constexpr std::string_view kSystem = "system";        // WhatsApp system message
inline constexpr std::string_view kError = "error";          // WhatsApp value.errors[]
inline constexpr std::string_view kDuplicate = "duplicate";  // same message id twice in a POST
// Not usable: an unknown event or message type, or one without a sender or message id.
inline constexpr std::string_view kUnsupported = "unsupported";
}  // namespace notice

// What every message of one request shares.
struct EventContext {
  std::string trace_id;
  std::chrono::system_clock::time_point received_at;
};

// Collects one request's messages and notices; drops a message id seen earlier in the same
// request (Meta can repeat an event within a batch).
class BatchBuilder {
 public:
  explicit BatchBuilder(const EventContext& context) : context_(context) {}

  void notice(std::string_view kind) { batch_.notices.push_back(kind); }

  // Adds `message` (its content, sender and recipient filled in) under `provider_message_id`
  // (the mid or wamid): sets channel-independent fields (provider, provider_message_id,
  // idempotency key "meta:<id>", event id, trace id, times, producer). A message id already
  // added in this request is counted as a "duplicate" notice instead. The id must outlive the
  // builder (it points into the parsed body).
  void add(v1::InboundMessage&& message, std::string_view provider_message_id);

  NormalizedBatch take() && { return std::move(batch_); }

 private:
  const EventContext& context_;
  NormalizedBatch batch_;
  std::unordered_set<std::string_view> ids_;
};

// Messenger (CHANNEL_MESSENGER) or Instagram (CHANNEL_INSTAGRAM): `entry[].messaging[]` and
// `entry[].standby[]`.
void normalizeMessagingEntries(const boost::json::array& entries, v1::Channel channel,
                               BatchBuilder& out);

// WhatsApp Cloud API: `entry[].changes[].value`.
void normalizeWhatsAppEntries(const boost::json::array& entries, BatchBuilder& out);

// JSON access that never throws: nullptr / nullopt when absent or of another type.
const boost::json::object* objectAt(const boost::json::object& o, std::string_view key);
const boost::json::array* arrayAt(const boost::json::object& o, std::string_view key);
std::optional<std::string_view> stringAt(const boost::json::object& o, std::string_view key);
bool isTrue(const boost::json::object& o, std::string_view key);
// A JSON number, or a string of decimal digits (WhatsApp sends its timestamps as strings).
std::optional<int64_t> integerAt(const boost::json::object& o, std::string_view key);

// An id fit for keys and labels: 1 to 512 bytes, no controls, no spaces.
bool isUsableId(std::string_view id);

// `value` when it is small enough for an attribute (at most 2048 bytes), else nullopt.
std::optional<std::string_view> boundedAttribute(std::string_view value);

}  // namespace switchboard::connectors::meta
