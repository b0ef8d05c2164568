#include "router/context/customer_ids.h"

#include "core/crypto/digest.h"

namespace switchboard::context {

std::string_view addressNamespace(v1::Channel channel) {
  switch (channel) {
    case v1::CHANNEL_EMAIL: return "email";
    case v1::CHANNEL_SMS:
    case v1::CHANNEL_WHATSAPP:
    case v1::CHANNEL_VOICE: return "tel";
    case v1::CHANNEL_CHAT: return "chat";
    case v1::CHANNEL_MESSENGER: return "messenger";
    case v1::CHANNEL_INSTAGRAM: return "instagram";
    case v1::CHANNEL_X: return "x";
    case v1::CHANNEL_TELEGRAM: return "telegram";
    default: return "other";
  }
}

std::string addressStateKey(const v1::Address& address) {
  std::string key = "addr/";
  key += addressNamespace(address.channel());
  key += '/';
  key += address.value();
  return key;
}

std::string derivedCustomerId(const v1::Address& address) {
  std::string data(addressNamespace(address.channel()));
  data += ':';
  data += address.value();
  return crypto::derivedId("c-", data, 20);
}

std::string_view messageKey(const v1::InboundMessage& message) {
  if (!message.envelope().idempotency_key().empty()) return message.envelope().idempotency_key();
  return message.envelope().event_id();
}

std::string workItemIdFor(const v1::InboundMessage& message) {
  return crypto::derivedId("wi-", messageKey(message));
}

std::string newConversationId(std::string_view customer_id, const v1::InboundMessage& message) {
  std::string_view source = message.envelope().event_id();
  if (source.empty()) source = message.envelope().idempotency_key();
  std::string id(customer_id);
  id += '/';
  id += crypto::sha256Hex(source).substr(0, 16);
  return id;
}

std::string inputDerivedId(std::string_view prefix, std::string_view topic, int32_t partition,
                           int64_t offset, int index) {
  std::string data(topic);
  data += '/';
  data += std::to_string(partition);
  data += '/';
  data += std::to_string(offset);
  data += '/';
  data += std::to_string(index);
  return crypto::derivedId(prefix, data);
}

}  // namespace switchboard::context
