#include "core/smtp/smtp_probe.h"

#include <string>

namespace switchboard::smtp {

SmtpProbe::SmtpProbe(metrics::MetricsRegistry& registry, Protocol protocol) {
  const std::string name(protocolName(protocol));
  auto& connections = prometheus::BuildCounter()
                          .Name("switchboard_smtp_connections_total")
                          .Help("SMTP/LMTP connections, by outcome (refused: over the limit)")
                          .Register(registry.registry());
  accepted_ = &connections.Add({{"protocol", name}, {"outcome", "accepted"}});
  refused_ = &connections.Add({{"protocol", name}, {"outcome", "refused"}});
  idle_timeouts_ = &prometheus::BuildCounter()
                        .Name("switchboard_smtp_idle_timeouts_total")
                        .Help("SMTP/LMTP connections closed after the idle timeout")
                        .Register(registry.registry())
                        .Add({{"protocol", name}});
  command_errors_ = &prometheus::BuildCounter()
                         .Name("switchboard_smtp_command_errors_total")
                         .Help("Error replies to SMTP/LMTP commands (syntax, sequence, limits)")
                         .Register(registry.registry())
                         .Add({{"protocol", name}});
  auto& messages = prometheus::BuildCounter()
                       .Name("switchboard_smtp_messages_total")
                       .Help("Messages received by SMTP/LMTP, by final reply")
                       .Register(registry.registry());
  messages_accepted_ = &messages.Add({{"protocol", name}, {"outcome", "accepted"}});
  messages_retry_later_ = &messages.Add({{"protocol", name}, {"outcome", "retry_later"}});
  messages_rejected_ = &messages.Add({{"protocol", name}, {"outcome", "rejected"}});
  messages_too_big_ = &messages.Add({{"protocol", name}, {"outcome", "too_big"}});
  messages_line_too_long_ = &messages.Add({{"protocol", name}, {"outcome", "line_too_long"}});
}

void SmtpProbe::messageFinished(std::string_view outcome) {
  if (outcome == "accepted") {
    messages_accepted_->Increment();
  } else if (outcome == "retry_later") {
    messages_retry_later_->Increment();
  } else if (outcome == "rejected") {
    messages_rejected_->Increment();
  } else if (outcome == "too_big") {
    messages_too_big_->Increment();
  } else {
    messages_line_too_long_->Increment();
  }
}

}  // namespace switchboard::smtp
