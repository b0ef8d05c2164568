// Helpers for the context tests: UTC time points, customer messages on each channel, an
// in-memory TaskContext for the stage tests, the worked example policy.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "router/context/context_record.h"
#include "switchboard/v1/customer_event.pb.h"
#include "switchboard/v1/inbound_message.pb.h"
#include "tests/unit/router/policy/policy_test_util.h"

#include "tests/unit/router/fake_task_context.h"

namespace switchboard::context::testing {

using policy::testing::utc;

inline void setTime(google::protobuf::Timestamp* ts, TimePoint t) {
  const int64_t ms = toMillis(t);
  ts->set_seconds(ms / 1000);
  ts->set_nanos(static_cast<int32_t>((ms % 1000) * 1000000));
}

struct Msg {
  std::string key;  // idempotency key; also the event id ("ev-" + key)
  v1::Channel channel = v1::CHANNEL_CHAT;
  std::string sender = "ana@example.com";
  std::string text = "hello";
  std::string language;
  std::string message_id;
  std::string in_reply_to;
  std::vector<std::string> references;
  std::string provider_conversation_id;
  std::string subject;
  std::optional<TimePoint> received;
};

inline v1::InboundMessage makeMessage(const Msg& m) {
  v1::InboundMessage message;
  message.mutable_envelope()->set_event_id("ev-" + m.key);
  message.mutable_envelope()->set_idempotency_key(m.key);
  message.mutable_envelope()->set_trace_id("0123456789abcdef0123456789abcdef");
  if (m.received) setTime(message.mutable_envelope()->mutable_received_at(), *m.received);
  message.set_channel(m.channel);
  message.set_provider(m.channel == v1::CHANNEL_EMAIL ? "smtp" : "webchat");
  message.mutable_sender()->set_channel(m.channel);
  message.mutable_sender()->set_value(m.sender);
  message.set_text(m.text);
  message.set_language(m.language);
  v1::ThreadHints* thread = message.mutable_thread();
  thread->set_message_id(m.message_id);
  thread->set_in_reply_to(m.in_reply_to);
  for (const auto& r : m.references) thread->add_references(r);
  thread->set_provider_conversation_id(m.provider_conversation_id);
  thread->set_subject(m.subject);
  return message;
}

inline v1::CustomerMessage makeCustomerMessage(const std::string& customer_id, const Msg& m) {
  v1::CustomerMessage cm;
  cm.mutable_envelope()->set_event_id("cm-" + m.key);
  cm.set_customer_id(customer_id);
  *cm.mutable_message() = makeMessage(m);
  return cm;
}

// The shared fake task, its clock starting at the tests' usual morning.
class FakeTaskContext : public router::testing::FakeTaskContext {
 public:
  explicit FakeTaskContext(int32_t partition = 0) : router::testing::FakeTaskContext(partition) {
    clock = utc(2026, 3, 9, 3, 0);
  }
};

}  // namespace switchboard::context::testing
