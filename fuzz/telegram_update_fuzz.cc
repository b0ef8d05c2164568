// Fuzz target: the Telegram Bot API connector (POST /v1/telegram/webhook). The fuzzer's bytes
// are the JSON Update. Telegram authenticates with a shared secret header rather than a body
// signature, so the target sends the body once with the configured secret (reaching the
// parser) and once without it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/telegram/telegram_connector.h"
#include "fuzz/fuzz_request.h"

namespace {

namespace telegram = switchboard::connectors::telegram;

// Made up for fuzzing, like the unit tests' token.
constexpr std::string_view kSecretToken = "fuzz-secret-token_not-a-secret";

const telegram::TelegramConnector& connector() {
  static const telegram::TelegramConnector instance([] {
    telegram::TelegramSettings settings;
    settings.secret_token = std::string(kSecretToken);
    settings.bot_id = "123456789";
    return settings;
  }());
  return instance;
}

switchboard::http::Request post(std::string body, bool with_secret) {
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
  if (with_secret) {
    headers.emplace_back(std::string(telegram::TelegramConnector::kSecretHeader),
                         std::string(kSecretToken));
  }
  return switchboard::fuzz::makeRequest("POST", std::string(telegram::TelegramConnector::kPath), "",
                                        std::move(headers), std::move(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(switchboard::fuzz::asView(data, size));
  (void)connector().normalize(post(body, false), switchboard::fuzz::kNow);
  (void)connector().normalize(post(std::move(body), true), switchboard::fuzz::kNow);
  return 0;
}
