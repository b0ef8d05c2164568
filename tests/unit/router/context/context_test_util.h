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

#include "core/stage/stage_processor.h"
#include "router/context/context_record.h"
#include "switchboard/v1/customer_event.pb.h"
#include "switchboard/v1/inbound_message.pb.h"
#include "tests/unit/router/policy/policy_test_util.h"

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

// An in-memory task: state is a sorted map (writes visible at once, as the runner's
// read-your-writes view), outputs and rejects are recorded.
class FakeTaskContext : public stage::TaskContext {
 public:
  explicit FakeTaskContext(int32_t partition = 0) : partition_(partition) {}

  int32_t partition() const override { return partition_; }
  std::optional<std::string> get(std::string_view key) override {
    auto it = state.find(key);
    if (it == state.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override {
    state.insert_or_assign(std::string(key), std::string(value));
  }
  void erase(std::string_view key) override {
    if (auto it = state.find(key); it != state.end()) state.erase(it);
  }
  void scan(std::string_view prefix,
            const std::function<void(std::string_view, std::string_view)>& visit) override {
    for (auto it = state.lower_bound(prefix); it != state.end() && it->first.starts_with(prefix);
         ++it) {
      visit(it->first, it->second);
    }
  }
  void emit(stage::Output output) override { outputs.push_back(std::move(output)); }
  void reject(std::string_view reason, std::string_view detail) override {
    rejects.emplace_back(std::string(reason), std::string(detail));
  }
  std::chrono::system_clock::time_point now() const override { return clock; }

  // Outputs emitted since the last call.
  std::vector<stage::Output> take() { return std::exchange(outputs, {}); }

  std::map<std::string, std::string, std::less<>> state;
  std::vector<stage::Output> outputs;
  std::vector<std::pair<std::string, std::string>> rejects;
  TimePoint clock = utc(2026, 3, 9, 3, 0);

 private:
  int32_t partition_;
};

}  // namespace switchboard::context::testing
