// Metrics of the SMTP/LMTP listener, in domain verbs. Labels are bounded: the protocol and
// fixed outcome names, never addresses. Thread-safe (prometheus-cpp counters are atomic); the
// series are resolved once at construction.
//
//   switchboard_smtp_connections_total{protocol,outcome}   accepted|refused (over the limit)
//   switchboard_smtp_command_errors_total{protocol}        error replies to commands
//   switchboard_smtp_messages_total{protocol,outcome}      accepted|retry_later|rejected|
//                                                          too_big|line_too_long
//   switchboard_smtp_idle_timeouts_total{protocol}         connections closed with 421 4.4.2
#pragma once

#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "core/metrics/metrics_registry.h"
#include "core/smtp/smtp_conversation.h"
#include "core/smtp/smtp_message.h"

namespace switchboard::smtp {

class SmtpProbe final : public ConversationObserver {
 public:
  SmtpProbe(metrics::MetricsRegistry& registry, Protocol protocol);

  void connectionAccepted() { accepted_->Increment(); }
  void connectionRefused() { refused_->Increment(); }
  void idleTimeout() { idle_timeouts_->Increment(); }
  void commandFailed() override { command_errors_->Increment(); }
  void messageFinished(std::string_view outcome) override;

 private:
  prometheus::Counter* accepted_;
  prometheus::Counter* refused_;
  prometheus::Counter* idle_timeouts_;
  prometheus::Counter* command_errors_;
  prometheus::Counter* messages_accepted_;
  prometheus::Counter* messages_retry_later_;
  prometheus::Counter* messages_rejected_;
  prometheus::Counter* messages_too_big_;
  prometheus::Counter* messages_line_too_long_;
};

}  // namespace switchboard::smtp
