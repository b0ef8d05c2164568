// Fuzz target: email normalization (connectors/email/). The fuzzer's bytes are a raw RFC 5322
// message as the SMTP/LMTP front end hands it over (SmtpEmailConnector, no authentication) and
// as POST /v1/email/raw receives it, with the inbound token. The same bytes also go through the
// building blocks the inbound-parse connectors call on provider fields: the header decoders,
// the charset converter (under each label the normalizer maps), the HTML reducer and the
// quoted-history splitter.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/email/email_normalizer.h"
#include "connectors/email/raw_email_connector.h"
#include "connectors/email/smtp_email_connector.h"
#include "fuzz/fuzz_request.h"

namespace {

namespace email = switchboard::connectors::email;

// Made up for fuzzing, like the unit tests' token.
constexpr std::string_view kToken = "fuzz-inbound-token-not-a-secret";

const email::RawEmailConnector& rawConnector() {
  static const email::RawEmailConnector instance([] {
    email::RawEmailSettings settings;
    settings.inbound_token = std::string(kToken);
    settings.limits.max_attachments = 8;  // also reach the "omitted" path
    return settings;
  }());
  return instance;
}

const email::SmtpEmailConnector& smtpConnector() {
  static const email::SmtpEmailConnector instance;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = switchboard::fuzz::asView(data, size);
  const std::string body(input);

  (void)smtpConnector().normalize(
      switchboard::fuzz::makeRequest("POST", "/smtp", "",
                                     {{"X-Smtp-Mail-From", "fuzz@example.com"},
                                      {"X-Smtp-Rcpt-To", "support@example.com, <b@example.com>"},
                                      {"X-Smtp-Protocol", "lmtp"}},
                                     body),
      switchboard::fuzz::kNow);
  (void)rawConnector().normalize(
      switchboard::fuzz::makeRequest(
          "POST", std::string(email::RawEmailConnector::kPath), "",
          {{"Content-Type", "message/rfc822"}, {"Authorization", "Bearer " + std::string(kToken)}},
          body),
      switchboard::fuzz::kNow);

  (void)email::parseMailboxList(input);
  (void)email::decodeHeaderText(input);
  (void)email::htmlToText(input);
  (void)email::splitQuotedHistory(input);
  static constexpr std::array<std::string_view, 7> kCharsets = {
      "", "UTF-8", "ISO-8859-1", "EUC-KR", "ISO-2022-JP", "Shift_JIS", "x-unknown"};
  (void)email::toUtf8(input, kCharsets[size % kCharsets.size()]);
  return 0;
}
