// Fuzz target: the Twilio SMS connector (POST /v1/sms/twilio). The fuzzer's bytes are the form
// body. The target signs whatever parses with a known auth token, as Twilio would, so that the
// fuzzer gets past the signature check into field extraction; it also sends the body once
// unsigned, which must be refused without reading any field.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/common/form_urlencoded.h"
#include "connectors/sms/sms_connector.h"
#include "connectors/sms/twilio_signature.h"
#include "fuzz/fuzz_request.h"

namespace {

namespace sms = switchboard::connectors::sms;

// Made up for fuzzing, like the unit tests' token.
constexpr std::string_view kToken = "fuzz-auth-token-not-a-secret";
constexpr std::string_view kPublicUrl = "https://example.com/v1/sms/twilio";

const sms::SmsConnector& connector() {
  static const sms::SmsConnector instance([] {
    sms::SmsSettings settings;
    settings.auth_token = std::string(kToken);
    settings.public_url = std::string(kPublicUrl);
    return settings;
  }());
  return instance;
}

switchboard::http::Request smsRequest(std::string body, const std::string* signature) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/x-www-form-urlencoded"}, {"User-Agent", "TwilioProxy/1.1"}};
  if (signature != nullptr) {
    headers.emplace_back(std::string(sms::SmsConnector::kSignatureHeader), *signature);
  }
  return switchboard::fuzz::makeRequest("POST", std::string(sms::SmsConnector::kPath), "",
                                        std::move(headers), std::move(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(switchboard::fuzz::asView(data, size));
  (void)connector().normalize(smsRequest(body, nullptr), switchboard::fuzz::kNow);

  auto fields = switchboard::connectors::parseFormUrlencoded(body);
  if (fields.has_value()) {
    auto signature = sms::twilioSignature(kToken, kPublicUrl, *fields);
    if (signature.has_value()) {
      (void)connector().normalize(smsRequest(body, &*signature), switchboard::fuzz::kNow);
    }
  } else {
    // Unparseable bodies are refused before the signature matters; any signature will do.
    std::string garbage = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    (void)connector().normalize(smsRequest(body, &garbage), switchboard::fuzz::kNow);
  }
  return 0;
}
