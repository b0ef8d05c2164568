// The Meta connector (Messenger, Instagram and WhatsApp webhook) on one core:
// MetaConnector::normalize() on the payloads of tests/testdata/meta, each signed in setup with
// a real X-Hub-Signature-256 (hex HMAC-SHA256 of the body, computed here with OpenSSL's
// one-shot API), so every iteration checks the signature, parses the JSON and builds the
// InboundMessages. Meta sends no traceparent, so each request draws a random trace id.
// items_per_second is messages per second (a POST may carry several, plus notices).
#include <string>

#include <benchmark/benchmark.h>

#include "benchmarks/connector_bench.h"
#include "connectors/meta/meta_connector.h"

namespace switchboard::connectors::meta {
namespace {

// Made up, as in the unit tests; real secrets come from the environment.
constexpr std::string_view kSecret = "3f9c1e0b7d2a4c58a6e1b0d9c7f2e4a1";

// The request as Meta's webhook delivery sends it.
http::Request metaRequest(std::string_view fixture) {
  http::Request request;
  request.method = "POST";
  request.target = "/v1/meta/webhook";
  request.path = "/v1/meta/webhook";
  request.remote_address = "173.252.127.1";
  request.body = bench::testdata("meta", fixture);
  request.headers = {
      {"Host", "hooks.example.com"},
      {"User-Agent", "facebookexternalua"},
      {"Accept", "*/*"},
      {"Content-Type", "application/json"},
      {"X-Hub-Signature", "sha1=" + bench::lowerHex(bench::hmac("SHA1", kSecret, request.body))},
      {"X-Hub-Signature-256",
       "sha256=" + bench::lowerHex(bench::hmac("SHA256", kSecret, request.body))},
      {"Content-Length", std::to_string(request.body.size())},
  };
  return request;
}

void BM_MetaNormalize(benchmark::State& state, std::string_view fixture) {
  MetaSettings settings;
  settings.app_secret = std::string(kSecret);
  settings.verify_token = "switchboard-verify-7Qx";
  const MetaConnector connector(settings);
  bench::runNormalize(state, connector, metaRequest(fixture));
}
// Messenger: one text message with reply_to.
BENCHMARK_CAPTURE(BM_MetaNormalize, messenger_text, "messenger_text.json");
// Messenger: two entries, two messages from two customers.
BENCHMARK_CAPTURE(BM_MetaNormalize, messenger_batch, "messenger_batch.json");
// Instagram: a message with an image, a read receipt and an echo (one message, two notices).
BENCHMARK_CAPTURE(BM_MetaNormalize, instagram_dm, "instagram_dm.json");
// WhatsApp Cloud API: one text message with context and contact profile.
BENCHMARK_CAPTURE(BM_MetaNormalize, whatsapp_text, "whatsapp_text.json");
// WhatsApp Cloud API: several messages and statuses in one change.
BENCHMARK_CAPTURE(BM_MetaNormalize, whatsapp_multi, "whatsapp_multi.json");

}  // namespace
}  // namespace switchboard::connectors::meta
