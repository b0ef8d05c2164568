// The Telegram connector (Bot API webhook) on one core: TelegramConnector::normalize() on the
// updates of tests/testdata/telegram with the X-Telegram-Bot-Api-Secret-Token header, so every
// iteration checks the secret (SHA-256, constant-time compare), parses the JSON and builds the
// InboundMessage. Telegram sends no traceparent, so each message draws a random trace id.
// items_per_second is messages per second.
#include <string>

#include <benchmark/benchmark.h>

#include "benchmarks/connector_bench.h"
#include "connectors/telegram/telegram_connector.h"

namespace switchboard::connectors::telegram {
namespace {

// Made up, as in the unit tests; real tokens come from the environment.
constexpr std::string_view kSecret = "test-secret_token-42";

// The request as Telegram's webhook delivery sends it.
http::Request telegramRequest(std::string_view fixture) {
  http::Request request;
  request.method = "POST";
  request.target = "/v1/telegram/webhook";
  request.path = "/v1/telegram/webhook";
  request.remote_address = "149.154.167.220";
  request.body = bench::testdata("telegram", fixture);
  request.headers = {
      {"Host", "hooks.example.com"},
      {"Content-Type", "application/json"},
      {"X-Telegram-Bot-Api-Secret-Token", std::string(kSecret)},
      {"Accept-Encoding", "gzip, deflate"},
      {"Content-Length", std::to_string(request.body.size())},
  };
  return request;
}

void BM_TelegramNormalize(benchmark::State& state, std::string_view fixture) {
  TelegramSettings settings;
  settings.secret_token = std::string(kSecret);
  settings.bot_id = "7000000001";
  const TelegramConnector connector(settings);
  bench::runNormalize(state, connector, telegramRequest(fixture));
}
// A private text message.
BENCHMARK_CAPTURE(BM_TelegramNormalize, text, "message_text.json");
// A photo in several sizes with a caption.
BENCHMARK_CAPTURE(BM_TelegramNormalize, photo, "message_photo.json");
// A reply quoting an earlier message.
BENCHMARK_CAPTURE(BM_TelegramNormalize, reply, "message_reply.json");

}  // namespace
}  // namespace switchboard::connectors::telegram
