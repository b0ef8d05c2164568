#include "connectors/meta/meta_events.h"

#include <limits>

#include "core/crypto/digest.h"
#include "core/ids.h"

namespace switchboard::connectors::meta {

namespace json = boost::json;

namespace {

constexpr size_t kMaxIdBytes = 512;
constexpr size_t kMaxAttributeBytes = 2048;
constexpr std::string_view kProvider = "meta";
constexpr std::string_view kProducer = "connector/meta";

}  // namespace

void BatchBuilder::add(v1::InboundMessage&& message, std::string_view provider_message_id) {
  if (!ids_.insert(provider_message_id).second) {
    notice(notice::kDuplicate);
    return;
  }
  message.set_provider(std::string(kProvider));
  message.set_provider_message_id(std::string(provider_message_id));
  v1::Envelope* envelope = message.mutable_envelope();
  std::string idempotency_key = "meta:";
  idempotency_key += provider_message_id;
  envelope->set_event_id(crypto::derivedId("in-", idempotency_key, 32));
  envelope->set_idempotency_key(std::move(idempotency_key));
  envelope->set_trace_id(context_.trace_id);
  setTimestamp(context_.received_at, envelope->mutable_received_at());
  setTimestamp(context_.received_at, envelope->mutable_created_at());
  envelope->set_producer(std::string(kProducer));
  batch_.messages.push_back(std::move(message));
}

const json::object* objectAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr ? nullptr : v->if_object();
}

const json::array* arrayAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr ? nullptr : v->if_array();
}

std::optional<std::string_view> stringAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string());
}

bool isTrue(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

std::optional<int64_t> integerAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<int64_t>(v->get_uint64());
  }
  if (!v->is_string()) return std::nullopt;
  std::string_view digits = v->get_string();
  if (digits.empty() || digits.size() > 18) return std::nullopt;  // no overflow below 10^18
  int64_t out = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    out = out * 10 + (c - '0');
  }
  return out;
}

bool isUsableId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

std::optional<std::string_view> boundedAttribute(std::string_view value) {
  if (value.size() > kMaxAttributeBytes) return std::nullopt;
  return value;
}

}  // namespace switchboard::connectors::meta
