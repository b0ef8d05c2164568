#include "core/smtp/smtp_message.h"

#include <utility>

namespace switchboard::smtp {

std::string_view protocolName(Protocol protocol) {
  return protocol == Protocol::kLmtp ? "lmtp" : "smtp";
}

DeliveryOutcome DeliveryOutcome::accepted(std::string text) {
  return {.kind = Kind::kAccepted, .code = 250, .enhanced = "2.0.0", .text = std::move(text)};
}

DeliveryOutcome DeliveryOutcome::retryLater(std::string text, int code, std::string enhanced) {
  if (code < 400 || code > 499) {
    code = 451;
    enhanced = "4.3.0";
  }
  return {.kind = Kind::kRetryLater,
          .code = code,
          .enhanced = std::move(enhanced),
          .text = std::move(text)};
}

DeliveryOutcome DeliveryOutcome::rejected(int code, std::string enhanced, std::string text) {
  if (code < 500 || code > 599) {
    code = 554;
    enhanced = "5.6.0";
  }
  return {.kind = Kind::kRejected,
          .code = code,
          .enhanced = std::move(enhanced),
          .text = std::move(text)};
}

}  // namespace switchboard::smtp
