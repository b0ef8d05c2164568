// The SMS connector (Twilio messaging webhook) on one core: SmsConnector::normalize() on the
// form-encoded bodies of tests/testdata/sms, each signed in setup with a real
// X-Twilio-Signature (HMAC-SHA1 over the URL and the sorted parameters, computed here with
// OpenSSL's one-shot API), so every iteration checks the signature, parses the form and builds
// the InboundMessage. Twilio sends no traceparent, so each message draws a random trace id.
// items_per_second is messages per second.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "benchmarks/connector_bench.h"
#include "connectors/common/form_urlencoded.h"
#include "connectors/sms/sms_connector.h"

namespace switchboard::connectors::sms {
namespace {

// Made up, as in the unit tests; real tokens come from the environment.
constexpr std::string_view kToken = "test-auth-token-not-a-secret";
constexpr std::string_view kPublicUrl = "https://example.com/v1/sms/twilio";

// Twilio's signature of `body` posted to kPublicUrl.
std::string twilioSignatureOf(std::string_view body) {
  Result<std::vector<FormField>> fields = parseFormUrlencoded(body);
  if (!fields.has_value()) std::abort();
  std::vector<std::pair<std::string, std::string>> params;
  for (FormField& field : *fields) params.emplace_back(field.name, field.value);
  std::sort(params.begin(), params.end());
  std::string message(kPublicUrl);
  for (const auto& [name, value] : params) message += name + value;
  return bench::base64(bench::hmac("SHA1", kToken, message));
}

// The request as Twilio sends it through the edge.
http::Request twilioRequest(std::string_view fixture) {
  http::Request request;
  request.method = "POST";
  request.target = "/v1/sms/twilio";
  request.path = "/v1/sms/twilio";
  request.remote_address = "54.172.60.1";
  request.body = bench::testdata("sms", fixture);
  while (!request.body.empty() && (request.body.back() == '\n' || request.body.back() == '\r')) {
    request.body.pop_back();
  }
  request.headers = {
      {"Host", "example.com"},
      {"User-Agent", "TwilioProxy/1.1"},
      {"Accept", "*/*"},
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"I-Twilio-Idempotency-Token", "4c0f6d1a-0d8e-4b7e-9a61-2f3b1c5d7e90"},
      {"X-Forwarded-Proto", "https"},
      {"X-Twilio-Signature", twilioSignatureOf(request.body)},
      {"Content-Length", std::to_string(request.body.size())},
  };
  return request;
}

void BM_SmsNormalize(benchmark::State& state, std::string_view fixture) {
  SmsSettings settings;
  settings.auth_token = std::string(kToken);
  settings.public_url = std::string(kPublicUrl);
  const SmsConnector connector(settings);
  bench::runNormalize(state, connector, twilioRequest(fixture));
}
// A text with Twilio's full parameter set (location fields, an emoji).
BENCHMARK_CAPTURE(BM_SmsNormalize, sms, "inbound_sms.form");
// Two media, empty text.
BENCHMARK_CAPTURE(BM_SmsNormalize, mms, "inbound_mms.form");
// WhatsApp through Twilio (whatsapp: addresses, ProfileName, WaId).
BENCHMARK_CAPTURE(BM_SmsNormalize, whatsapp, "inbound_whatsapp.form");

}  // namespace
}  // namespace switchboard::connectors::sms
