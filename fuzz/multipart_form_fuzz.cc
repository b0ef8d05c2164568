// Fuzz target: the inbound-parse form readers and the connectors behind them
// (connectors/email/multipart_form.h, SendGrid and Mailgun). The fuzzer's bytes are a
// multipart/form-data body with SendGrid's boundary "xYzZY"; when the first line looks like a
// boundary delimiter ("--B"), B is also tried as the boundary, so seeds with other boundaries
// stay useful. The body goes to parseMultipartForm(), to the SendGrid connector with valid
// Basic credentials (into raw and parsed mode), and, as an urlencoded body with a valid
// signature appended, to the Mailgun connector (into parsed and raw mode).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/email/mailgun_connector.h"
#include "connectors/email/mailgun_signature.h"
#include "connectors/email/multipart_form.h"
#include "connectors/email/sendgrid_connector.h"
#include "fuzz/fuzz_request.h"

namespace {

namespace email = switchboard::connectors::email;

// Made up for fuzzing, like the unit tests' secrets. "Basic " + base64("fuzz:fuzz-password").
constexpr std::string_view kAuthorization = "Basic ZnV6ejpmdXp6LXBhc3N3b3Jk";
constexpr std::string_view kSigningKey = "fuzz-signing-key-not-a-secret";

const email::SendGridConnector& sendgrid() {
  static const email::SendGridConnector instance([] {
    email::SendGridSettings settings;
    settings.basic_auth = "fuzz:fuzz-password";
    return settings;
  }());
  return instance;
}

const email::MailgunConnector& mailgun() {
  static const email::MailgunConnector instance([] {
    email::MailgunSettings settings;
    settings.signing_key = std::string(kSigningKey);
    return settings;
  }());
  return instance;
}

switchboard::http::Request request(std::string path, std::string content_type, std::string body) {
  return switchboard::fuzz::makeRequest(
      "POST", std::move(path), "",
      {{"Content-Type", std::move(content_type)}, {"Authorization", std::string(kAuthorization)}},
      std::move(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(switchboard::fuzz::asView(data, size));
  const email::FormLimits limits;
  std::vector<std::string> types = {"multipart/form-data; boundary=xYzZY"};
  if (body.starts_with("--")) {
    const size_t end = body.find_first_of("\r\n");
    const std::string boundary = body.substr(2, end == std::string::npos ? 0 : end - 2);
    if (!boundary.empty() && boundary.size() <= 70) {
      types.push_back("multipart/form-data; boundary=\"" + boundary + "\"");
    }
  }
  for (const std::string& type : types) {
    (void)email::parseMultipartForm(type, body, limits);
    (void)sendgrid().normalize(request("/v1/email/sendgrid", type, body), switchboard::fuzz::kNow);
  }

  // Mailgun: the bytes as an urlencoded form, signed with a token never used before (the
  // connector refuses a token's second use).
  static uint64_t counter = 0;
  const std::string timestamp = "1714564800";  // fuzz::kNow
  for (const char* path : {"/v1/email/mailgun", "/v1/email/mailgun/mime"}) {
    const std::string token = "fuzz-token-" + std::to_string(++counter);
    const std::string form = body + "&timestamp=" + timestamp + "&token=" + token +
                             "&signature=" + email::mailgunSignature(kSigningKey, timestamp, token);
    (void)mailgun().normalize(request(path, "application/x-www-form-urlencoded", form),
                              switchboard::fuzz::kNow);
  }
  return 0;
}
