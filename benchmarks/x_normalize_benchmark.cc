// The X connector (Account Activity API webhook) on one core: XConnector::normalize() on the
// payloads of tests/testdata/x, each signed in setup with a real x-twitter-webhooks-signature
// (base64 HMAC-SHA256 of the body, computed here with OpenSSL's one-shot API), so every
// iteration checks the signature, parses the JSON and builds the InboundMessages. X sends no
// traceparent, so each request draws a random trace id. items_per_second is messages per
// second (a POST may carry several).
#include <string>

#include <benchmark/benchmark.h>

#include "benchmarks/connector_bench.h"
#include "connectors/x/x_connector.h"

namespace switchboard::connectors::x {
namespace {

// Made up, as in the unit tests; real secrets come from the environment.
constexpr std::string_view kSecret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu";

// The request as X's webhook delivery sends it.
http::Request xRequest(std::string_view fixture) {
  http::Request request;
  request.method = "POST";
  request.target = "/v1/x/webhook";
  request.path = "/v1/x/webhook";
  request.remote_address = "199.59.150.1";
  request.body = bench::testdata("x", fixture);
  request.headers = {
      {"Host", "hooks.example.com"},
      {"User-Agent", "X-Webhooks/1.0"},
      {"Content-Type", "application/json; charset=utf-8"},
      {"X-Twitter-Webhooks-Signature",
       "sha256=" + bench::base64(bench::hmac("SHA256", kSecret, request.body))},
      {"Content-Length", std::to_string(request.body.size())},
  };
  return request;
}

void BM_XNormalize(benchmark::State& state, std::string_view fixture) {
  XSettings settings;
  settings.consumer_secret = std::string(kSecret);
  const XConnector connector(settings);
  bench::runNormalize(state, connector, xRequest(fixture));
}
// One direct message with the apps and users maps X sends along.
BENCHMARK_CAPTURE(BM_XNormalize, dm, "dm_message_create.json");
// Two direct messages with media (a photo, a video with variants) in one POST.
BENCHMARK_CAPTURE(BM_XNormalize, dm_media, "dm_media.json");

}  // namespace
}  // namespace switchboard::connectors::x
