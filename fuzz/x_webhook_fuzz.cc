// Fuzz target: the X Account Activity connector (POST /v1/x/webhook). The fuzzer's bytes are
// the JSON body; the target signs them with a known consumer secret so that the fuzzer reaches
// the activity parser, and sends them once unsigned. The same bytes are also tried as the query
// of the GET challenge-response check (crc_token).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/x/x_connector.h"
#include "connectors/x/x_signature.h"
#include "fuzz/fuzz_request.h"

namespace {

namespace x = switchboard::connectors::x;

// Made up for fuzzing, like the unit tests' secret.
constexpr std::string_view kConsumerSecret = "fuzz-consumer-secret-not-a-secret";

const x::XConnector& connector() {
  static const x::XConnector instance([] {
    x::XSettings settings;
    settings.consumer_secret = std::string(kConsumerSecret);
    return settings;
  }());
  return instance;
}

switchboard::http::Request post(std::string body, const std::string* signature) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json; charset=utf-8"}};
  if (signature != nullptr) {
    headers.emplace_back(std::string(x::XConnector::kSignatureHeader), *signature);
  }
  return switchboard::fuzz::makeRequest("POST", std::string(x::XConnector::kPath), "",
                                        std::move(headers), std::move(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using switchboard::fuzz::kNow;
  std::string body(switchboard::fuzz::asView(data, size));
  (void)connector().normalize(post(body, nullptr), kNow);
  std::string signature = x::webhookSignature(kConsumerSecret, body);
  (void)connector().normalize(post(body, &signature), kNow);
  (void)connector().normalize(
      switchboard::fuzz::makeRequest("GET", std::string(x::XConnector::kPath), body, {}, ""), kNow);
  return 0;
}
