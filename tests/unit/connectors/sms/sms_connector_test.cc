#include "connectors/sms/sms_connector.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "connectors/common/form_urlencoded.h"
#include "core/crypto/digest.h"

namespace switchboard::connectors::sms {
namespace {

using std::chrono::system_clock;
using Params = std::vector<std::pair<std::string, std::string>>;

// 2024-05-01T12:00:00.250Z
const system_clock::time_point kNow =
    system_clock::time_point(std::chrono::seconds(1714564800)) + std::chrono::milliseconds(250);

// A value made up for these tests; real tokens come from the environment.
constexpr std::string_view kToken = "test-auth-token-not-a-secret";
constexpr std::string_view kPublicUrl = "https://example.com/v1/sms/twilio";
constexpr std::string_view kFormType = "application/x-www-form-urlencoded";
constexpr std::string_view kAccountSid = "AC4f5b1c2e8a1d4e0012c3b4a5d6e7f809";

SmsSettings testSettings() {
  SmsSettings settings;
  settings.auth_token = std::string(kToken);
  settings.public_url = std::string(kPublicUrl);
  return settings;
}

// tests/testdata/sms/<name>: raw bodies as Twilio posts them (see the README there).
std::string fixture(std::string_view name) {
  std::filesystem::path path = std::filesystem::path(SWITCHBOARD_TESTDATA_DIR) / "sms" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream content;
  content << in.rdbuf();
  std::string body = content.str();
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body;
}

// The signature computed independently of the connector: OpenSSL's one-shot HMAC-SHA1 over
// the documented concatenation (URL, then name + value of each parameter sorted by name and
// value), Base64.
std::string twilioSignatureOf(std::string_view url, Params params,
                              std::string_view token = kToken) {
  std::sort(params.begin(), params.end());
  std::string message(url);
  for (const auto& [name, value] : params) message += name + value;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha1(), token.data(), static_cast<int>(token.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &size);
  unsigned char encoded[64];
  int length = EVP_EncodeBlock(encoded, digest, static_cast<int>(size));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(length));
}

std::string encodeBody(const Params& params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body += '&';
    body += formUrlencode(name) + '=' + formUrlencode(value);
  }
  return body;
}

http::Request smsRequest(std::string body, std::optional<std::string> signature,
                         std::string query = "",
                         std::string content_type = std::string(kFormType)) {
  http::Request request;
  request.method = "POST";
  request.path = "/v1/sms/twilio";
  request.query = query;
  request.target = request.path + (query.empty() ? "" : "?" + query);
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  if (signature) request.headers.emplace_back("X-Twilio-Signature", *signature);
  request.headers.emplace_back("User-Agent", "TwilioProxy/1.1");
  request.body = std::move(body);
  request.remote_address = "127.0.0.1";
  return request;
}

// A request Twilio would send for `params`, signed over the public URL plus `query`.
http::Request signedRequest(const Params& params, std::string query = "") {
  std::string url(kPublicUrl);
  if (!query.empty()) url += "?" + query;
  return smsRequest(encodeBody(params), twilioSignatureOf(url, params), query);
}

Params minimalSms() {
  return {{"MessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"},
          {"AccountSid", std::string(kAccountSid)},
          {"From", "+14155550100"},
          {"To", "+15558675310"},
          {"Body", "Hi"},
          {"NumMedia", "0"}};
}

Params with(Params params, std::string name, std::string value) {
  auto it =
      std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == name; });
  if (it == params.end()) {
    params.emplace_back(std::move(name), std::move(value));
  } else {
    it->second = std::move(value);
  }
  return params;
}

Params without(Params params, std::string_view name) {
  std::erase_if(params, [&](const auto& p) { return p.first == name; });
  return params;
}

ConnectorResult<NormalizedBatch> normalize(const http::Request& request,
                                           SmsSettings settings = testSettings()) {
  return SmsConnector(std::move(settings)).normalize(request, kNow);
}

void expectRejected(const ConnectorResult<NormalizedBatch>& result, Errc code,
                    std::string_view reason) {
  ASSERT_FALSE(result.has_value()) << "expected " << reason;
  EXPECT_EQ(result.error().code(), code) << result.error().detail();
  EXPECT_EQ(result.error().reason(), reason) << result.error().detail();
  EXPECT_FALSE(result.error().detail().empty());
  EXPECT_EQ(result.error().detail().find(kToken), std::string::npos);
}

bool isLowerHex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(SmsConnectorTest, DescribesItself) {
  SmsConnector connector(testSettings());
  EXPECT_EQ(connector.name(), "sms");
  EXPECT_EQ(connector.channel(), v1::CHANNEL_SMS);
  ASSERT_EQ(connector.routes().size(), 1u);
  EXPECT_EQ(connector.routes()[0].method, "POST");
  EXPECT_EQ(connector.routes()[0].path, "/v1/sms/twilio");
}

// The decoded parameters of tests/testdata/sms/inbound_sms.form, written out by hand so that
// the signature below does not depend on the parser under test.
const Params kGoldenSmsParams = {
    {"ToCountry", "US"},
    {"ToState", "CA"},
    {"SmsMessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"},
    {"NumMedia", "0"},
    {"ToCity", "SAN FRANCISCO"},
    {"FromZip", "94105"},
    {"SmsSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"},
    {"FromState", "CA"},
    {"SmsStatus", "received"},
    {"FromCity", "SAN FRANCISCO"},
    {"Body", "Ahoy! \xF0\x9F\x91\x8B Is 50% off still on?"},
    {"FromCountry", "US"},
    {"To", "+15558675310"},
    {"MessagingServiceSid", "MG9752274e9e519418a7406176694466fa"},
    {"ToZip", "94105"},
    {"NumSegments", "1"},
    {"ReferralNumMedia", "0"},
    {"MessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"},
    {"AccountSid", std::string(kAccountSid)},
    {"From", "+14155550100"},
    {"ApiVersion", "2010-04-01"},
};

TEST(SmsConnectorTest, GoldenSignatureIsComputedIndependently) {
  // Three independent computations agree: the literal below was computed with Python's hmac
  // module when the fixture was written (see tests/testdata/sms/README.md).
  EXPECT_EQ(twilioSignatureOf(kPublicUrl, kGoldenSmsParams), "D6GhgdhZ8GqhJi5Q5wGFRVY69U0=");
  auto parsed = parseFormUrlencoded(fixture("inbound_sms.form"));
  ASSERT_TRUE(parsed.has_value());
  Params decoded;
  for (const FormField& f : *parsed) decoded.emplace_back(f.name, f.value);
  EXPECT_EQ(decoded, kGoldenSmsParams);
}

TEST(SmsConnectorTest, NormalizesTwilioSms) {
  http::Request request =
      smsRequest(fixture("inbound_sms.form"), twilioSignatureOf(kPublicUrl, kGoldenSmsParams));
  auto result = normalize(request);
  ASSERT_TRUE(result.has_value()) << result.error().reason() << ": " << result.error().detail();
  ASSERT_EQ(result->messages.size(), 1u);
  const v1::InboundMessage& m = result->messages[0];

  EXPECT_EQ(m.channel(), v1::CHANNEL_SMS);
  EXPECT_EQ(m.provider(), "twilio");
  EXPECT_EQ(m.sender().channel(), v1::CHANNEL_SMS);
  EXPECT_EQ(m.sender().value(), "+14155550100");
  EXPECT_EQ(m.sender().display_name(), "");
  EXPECT_EQ(m.sender().account_id(), "");
  EXPECT_EQ(m.recipient().channel(), v1::CHANNEL_SMS);
  EXPECT_EQ(m.recipient().value(), "+15558675310");
  EXPECT_EQ(m.recipient().account_id(), kAccountSid);
  EXPECT_EQ(m.text(), "Ahoy! \xF0\x9F\x91\x8B Is 50% off still on?");
  EXPECT_EQ(m.html(), "");
  EXPECT_EQ(m.attachments_size(), 0);
  EXPECT_EQ(m.provider_message_id(), "SM1f0e8ae6ade43cb3c0ce4525424e404f");
  EXPECT_FALSE(m.has_thread());
  EXPECT_FALSE(m.has_sent_at());
  EXPECT_EQ(m.language(), "");
  ASSERT_EQ(m.attributes_size(), 4);
  EXPECT_EQ(m.attributes().at("FromCountry"), "US");
  EXPECT_EQ(m.attributes().at("FromState"), "CA");
  EXPECT_EQ(m.attributes().at("FromCity"), "SAN FRANCISCO");
  EXPECT_EQ(m.attributes().at("FromZip"), "94105");

  const v1::Envelope& e = m.envelope();
  EXPECT_EQ(e.idempotency_key(), "sms:twilio:SM1f0e8ae6ade43cb3c0ce4525424e404f");
  EXPECT_EQ(
      e.event_id(),
      "in-" + crypto::sha256Hex("sms:twilio:SM1f0e8ae6ade43cb3c0ce4525424e404f").substr(0, 32));
  EXPECT_EQ(e.trace_id().size(), 32u);
  EXPECT_TRUE(isLowerHex(e.trace_id()));
  EXPECT_EQ(e.received_at().seconds(), 1714564800);
  EXPECT_EQ(e.received_at().nanos(), 250'000'000);
  EXPECT_EQ(e.created_at().seconds(), 1714564800);
  EXPECT_EQ(e.producer(), "connector/sms");
  EXPECT_TRUE(e.causation_id().empty());

  EXPECT_EQ(result->accepted.status, 200);
  EXPECT_EQ(result->accepted.content_type, "text/xml");
  EXPECT_EQ(result->accepted.body, R"(<?xml version="1.0" encoding="UTF-8"?><Response/>)");
  EXPECT_TRUE(result->accepted.headers.empty());
}

TEST(SmsConnectorTest, NormalizesMmsWithTwoMedia) {
  const std::string mm = "MMc781610ec0b3400c9e0cab8e757da937";
  const std::string media = "https://api.twilio.com/2010-04-01/Accounts/" +
                            std::string(kAccountSid) + "/Messages/" + mm + "/Media/";
  const Params params = {{"ToCountry", "US"},
                         {"MediaContentType0", "image/jpeg"},
                         {"MediaContentType1", "application/pdf"},
                         {"ToState", "CA"},
                         {"SmsMessageSid", mm},
                         {"NumMedia", "2"},
                         {"SmsSid", mm},
                         {"SmsStatus", "received"},
                         {"Body", ""},
                         {"To", "+15558675310"},
                         {"NumSegments", "1"},
                         {"MessageSid", mm},
                         {"AccountSid", std::string(kAccountSid)},
                         {"From", "+14155550100"},
                         {"MediaUrl0", media + "ME0123456789abcdef0123456789abcdef"},
                         {"MediaUrl1", media + "MEfedcba9876543210fedcba9876543210"},
                         {"ApiVersion", "2010-04-01"}};
  EXPECT_EQ(twilioSignatureOf(kPublicUrl, params), "ZlfonxUHaBkOYFlboKMIwVOSI4Y=");
  auto result =
      normalize(smsRequest(fixture("inbound_mms.form"), twilioSignatureOf(kPublicUrl, params)));
  ASSERT_TRUE(result.has_value()) << result.error().reason() << ": " << result.error().detail();
  const v1::InboundMessage& m = result->messages[0];
  EXPECT_EQ(m.channel(), v1::CHANNEL_SMS);
  EXPECT_EQ(m.text(), "");
  EXPECT_EQ(m.provider_message_id(), mm);
  ASSERT_EQ(m.attachments_size(), 2);
  EXPECT_EQ(m.attachments(0).name(), "");
  EXPECT_EQ(m.attachments(0).url(), media + "ME0123456789abcdef0123456789abcdef");
  EXPECT_EQ(m.attachments(0).content_type(), "image/jpeg");
  EXPECT_EQ(m.attachments(0).size_bytes(), 0u);
  EXPECT_EQ(m.attachments(0).sha256(), "");
  EXPECT_EQ(m.attachments(1).url(), media + "MEfedcba9876543210fedcba9876543210");
  EXPECT_EQ(m.attachments(1).content_type(), "application/pdf");
  EXPECT_EQ(m.attributes_size(), 0);  // no From* location came
  EXPECT_EQ(m.envelope().idempotency_key(), "sms:twilio:" + mm);
}

TEST(SmsConnectorTest, NormalizesWhatsAppSender) {
  const Params params = {{"SmsMessageSid", "SMa1b2c3d4e5f60718293a4b5c6d7e8f90"},
                         {"NumMedia", "0"},
                         {"ProfileName", "Ana Lima"},
                         {"MessageType", "text"},
                         {"SmsSid", "SMa1b2c3d4e5f60718293a4b5c6d7e8f90"},
                         {"WaId", "14155550100"},
                         {"SmsStatus", "received"},
                         {"Body", "Ol\xC3\xA1, preciso de ajuda"},
                         {"To", "whatsapp:+14155238886"},
                         {"NumSegments", "1"},
                         {"ReferralNumMedia", "0"},
                         {"MessageSid", "SMa1b2c3d4e5f60718293a4b5c6d7e8f90"},
                         {"AccountSid", std::string(kAccountSid)},
                         {"From", "whatsapp:+14155550100"},
                         {"ApiVersion", "2010-04-01"}};
  EXPECT_EQ(twilioSignatureOf(kPublicUrl, params), "ecYHCooMX5d9ua1cEzO+8IJaktw=");
  auto result = normalize(
      smsRequest(fixture("inbound_whatsapp.form"), twilioSignatureOf(kPublicUrl, params)));
  ASSERT_TRUE(result.has_value()) << result.error().reason() << ": " << result.error().detail();
  const v1::InboundMessage& m = result->messages[0];
  EXPECT_EQ(m.channel(), v1::CHANNEL_WHATSAPP);
  EXPECT_EQ(m.provider(), "twilio");
  EXPECT_EQ(m.sender().channel(), v1::CHANNEL_WHATSAPP);
  EXPECT_EQ(m.sender().value(), "+14155550100");
  EXPECT_EQ(m.sender().display_name(), "");
  EXPECT_EQ(m.recipient().channel(), v1::CHANNEL_WHATSAPP);
  EXPECT_EQ(m.recipient().value(), "+14155238886");
  EXPECT_EQ(m.recipient().account_id(), kAccountSid);
  EXPECT_EQ(m.text(), "Ol\xC3\xA1, preciso de ajuda");
  EXPECT_EQ(m.envelope().idempotency_key(), "sms:twilio:SMa1b2c3d4e5f60718293a4b5c6d7e8f90");
}

TEST(SmsConnectorTest, NormalizesFormattedNumbers) {
  auto result = normalize(signedRequest(
      with(with(minimalSms(), "From", "+1 (415) 555-0100"), "To", "+1.555.867.5310")));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_EQ(result->messages[0].sender().value(), "+14155550100");
  EXPECT_EQ(result->messages[0].recipient().value(), "+15558675310");
}

TEST(SmsConnectorTest, SameMessageSidGivesSameEventId) {
  auto first = normalize(signedRequest(minimalSms()));
  // Twilio's retry of the same message: same sid, later, maybe a different body encoding.
  auto retry = SmsConnector(testSettings())
                   .normalize(signedRequest(with(minimalSms(), "Body", "Hi")),
                              kNow + std::chrono::seconds(15));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(retry.has_value());
  const v1::Envelope& a = first->messages[0].envelope();
  const v1::Envelope& b = retry->messages[0].envelope();
  EXPECT_EQ(a.event_id(), b.event_id());
  EXPECT_EQ(a.event_id(), "in-" + crypto::sha256Hex(a.idempotency_key()).substr(0, 32));
  EXPECT_EQ(a.event_id().size(), 3u + 32u);
  EXPECT_EQ(a.idempotency_key(), b.idempotency_key());
  // Trace ids are per request when no traceparent came.
  EXPECT_NE(a.trace_id(), b.trace_id());

  auto other = normalize(
      signedRequest(with(minimalSms(), "MessageSid", "SM00000000000000000000000000000001")));
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->messages[0].envelope().event_id(), a.event_id());
}

TEST(SmsConnectorTest, PropagatesTraceparent) {
  http::Request request = signedRequest(minimalSms());
  request.headers.emplace_back("traceparent",
                               "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto result = normalize(request);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->messages[0].envelope().trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(SmsConnectorTest, SignatureCoversTheQueryString) {
  auto result = normalize(signedRequest(minimalSms(), "tenant=acme&x=%2F"));
  ASSERT_TRUE(result.has_value()) << result.error().detail();

  // Signed without the query Twilio was configured with.
  Params params = minimalSms();
  http::Request request =
      smsRequest(encodeBody(params), twilioSignatureOf(kPublicUrl, params), "tenant=acme");
  expectRejected(normalize(request), Errc::kForbidden, "bad_signature");
}

TEST(SmsConnectorTest, AcceptsEitherDefaultPortForm) {
  Params params = minimalSms();
  http::Request with_port = smsRequest(
      encodeBody(params), twilioSignatureOf("https://example.com:443/v1/sms/twilio", params));
  EXPECT_TRUE(normalize(with_port).has_value());

  SmsSettings configured_with_port = testSettings();
  configured_with_port.public_url = "https://example.com:443/v1/sms/twilio";
  EXPECT_TRUE(normalize(signedRequest(params), configured_with_port).has_value());

  http::Request other_port = smsRequest(
      encodeBody(params), twilioSignatureOf("https://example.com:8443/v1/sms/twilio", params));
  expectRejected(normalize(other_port), Errc::kForbidden, "bad_signature");
}

// Twilio's documented example (auth token "12345") is a voice call, not a message: it passes
// the signature check and is then refused for want of a MessageSid.
TEST(SmsConnectorTest, TwilioDocumentedSignatureExample) {
  SmsSettings settings;
  settings.auth_token = "12345";
  settings.public_url = "https://mycompany.com/myapp.php";
  http::Request request = smsRequest(
      "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309"
      "&To=%2B18005551212",
      "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "foo=1&bar=2");
  auto result = normalize(request, settings);
  expectRejected(result, Errc::kMissingField, "missing_field");
  EXPECT_NE(result.error().detail().find("MessageSid"), std::string::npos);

  request.body += "&Digits=5";  // tampered
  expectRejected(normalize(request, settings), Errc::kForbidden, "bad_signature");
}

TEST(SmsConnectorTest, RejectsWrongContentType) {
  Params params = minimalSms();
  std::string signature = twilioSignatureOf(kPublicUrl, params);
  for (std::string type : {"application/json", "text/plain", "", "multipart/form-data",
                           "application/x-www-form-urlencoded; charset=iso-8859-1"}) {
    expectRejected(normalize(smsRequest(encodeBody(params), signature, "", type)),
                   Errc::kUnsupportedMediaType, "wrong_content_type");
  }
  EXPECT_TRUE(normalize(smsRequest(encodeBody(params), signature, "",
                                   "Application/X-WWW-Form-Urlencoded; charset=UTF-8"))
                  .has_value());
}

TEST(SmsConnectorTest, RejectsMissingSignature) {
  expectRejected(normalize(smsRequest(encodeBody(minimalSms()), std::nullopt)),
                 Errc::kUnauthenticated, "missing_signature");
  expectRejected(normalize(smsRequest(encodeBody(minimalSms()), "")), Errc::kUnauthenticated,
                 "missing_signature");
}

TEST(SmsConnectorTest, RejectsBadSignature) {
  Params params = minimalSms();
  std::string body = encodeBody(params);
  // Another account's token.
  expectRejected(normalize(smsRequest(body, twilioSignatureOf(kPublicUrl, params, "other-token"))),
                 Errc::kForbidden, "bad_signature");
  for (std::string garbage :
       std::vector<std::string>{"x", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "not base64 at all!!!!!!!!!!!",
                                std::string(4096, 'A')}) {
    expectRejected(normalize(smsRequest(body, garbage)), Errc::kForbidden, "bad_signature");
  }
  // Off by the trailing character.
  std::string good = twilioSignatureOf(kPublicUrl, params);
  expectRejected(normalize(smsRequest(body, good.substr(0, good.size() - 1))), Errc::kForbidden,
                 "bad_signature");
}

TEST(SmsConnectorTest, RejectsSignatureOverADifferentUrl) {
  Params params = minimalSms();
  std::string body = encodeBody(params);
  for (std::string url : {"http://example.com/v1/sms/twilio",          // scheme as seen behind TLS
                          "https://internal:8080/v1/sms/twilio",       // what the server sees
                          "https://example.org/v1/sms/twilio",         // another host
                          "https://example.com/v1/sms/twilio/",        // trailing slash
                          "https://example.com/v1/sms/twilio?x=1"}) {  // a query not sent
    expectRejected(normalize(smsRequest(body, twilioSignatureOf(url, params))), Errc::kForbidden,
                   "bad_signature");
  }
}

TEST(SmsConnectorTest, RejectsTamperedBody) {
  Params params = minimalSms();
  std::string signature = twilioSignatureOf(kPublicUrl, params);
  // A changed value, an added field, a removed field, a repeated field.
  for (const Params& tampered : {with(params, "Body", "Hi!"), with(params, "From", "+14155550199"),
                                 with(params, "Extra", ""), without(params, "Body"), [&] {
                                   Params p = params;
                                   p.emplace_back("Body", "Hi");
                                   return p;
                                 }()}) {
    expectRejected(normalize(smsRequest(encodeBody(tampered), signature)), Errc::kForbidden,
                   "bad_signature");
  }
  // Re-encoding the same values is not tampering: the signature covers decoded values.
  std::string reencoded = encodeBody(params);
  reencoded.replace(reencoded.find("%2B14155550100"), 14, "%2b14155550100");
  EXPECT_TRUE(normalize(smsRequest(reencoded, signature)).has_value());
}

TEST(SmsConnectorTest, AcceptsUnknownParameters) {
  // Twilio adds parameters without notice; they are signed and ignored.
  auto result = normalize(signedRequest(with(minimalSms(), "SomethingNew2031", "value")));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
}

TEST(SmsConnectorTest, RejectsMalformedForm) {
  // The signature cannot be checked over a body that does not decode.
  expectRejected(normalize(smsRequest("MessageSid=SM1&Body=100%", "sig")), Errc::kMalformedInput,
                 "malformed_form");
  expectRejected(normalize(smsRequest("Body=%zz", "sig")), Errc::kMalformedInput, "malformed_form");
  expectRejected(normalize(smsRequest("Body=%FF", "sig")), Errc::kMalformedInput, "malformed_form");
}

TEST(SmsConnectorTest, RejectsMissingFields) {
  for (std::string_view field : {"MessageSid", "From", "To"}) {
    auto result = normalize(signedRequest(without(minimalSms(), field)));
    expectRejected(result, Errc::kMissingField, "missing_field");
    EXPECT_NE(result.error().detail().find(field), std::string::npos);
    // Empty counts as missing.
    expectRejected(normalize(signedRequest(with(minimalSms(), std::string(field), ""))),
                   Errc::kMissingField, "missing_field");
  }
}

TEST(SmsConnectorTest, RejectsInvalidPhoneNumbers) {
  for (std::string bad : {"14155550100", "+1415", "+1415555010012345", "+1415abc0100",
                          "sip:ana@example.com", " 14155550100"}) {
    auto from = normalize(signedRequest(with(minimalSms(), "From", bad)));
    expectRejected(from, Errc::kMalformedInput, "invalid_field");
    EXPECT_NE(from.error().detail().find("From"), std::string::npos);
    auto to = normalize(signedRequest(with(minimalSms(), "To", bad)));
    expectRejected(to, Errc::kMalformedInput, "invalid_field");
    EXPECT_NE(to.error().detail().find("To"), std::string::npos);
  }
  // A WhatsApp sender writing to a plain number, and the other way round.
  expectRejected(normalize(signedRequest(with(minimalSms(), "From", "whatsapp:+14155550100"))),
                 Errc::kMalformedInput, "invalid_field");
  expectRejected(normalize(signedRequest(with(minimalSms(), "To", "whatsapp:+15558675310"))),
                 Errc::kMalformedInput, "invalid_field");
  expectRejected(normalize(signedRequest(with(minimalSms(), "From", "whatsapp:"))),
                 Errc::kMalformedInput, "invalid_field");
}

TEST(SmsConnectorTest, RejectsInvalidNumMedia) {
  for (std::string bad : {"abc", "11", "-1", "+1", "1.0", " 1", "99999999999999999999999", ""}) {
    expectRejected(normalize(signedRequest(with(minimalSms(), "NumMedia", bad))),
                   Errc::kMalformedInput, "invalid_field");
  }
}

TEST(SmsConnectorTest, NumMediaBounds) {
  Params ten = with(minimalSms(), "NumMedia", "10");
  for (int i = 0; i < 10; ++i) {
    ten.emplace_back("MediaUrl" + std::to_string(i),
                     "https://api.twilio.com/m/" + std::to_string(i));
    ten.emplace_back("MediaContentType" + std::to_string(i), "image/png");
  }
  auto result = normalize(signedRequest(ten));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_EQ(result->messages[0].attachments_size(), 10);
  EXPECT_EQ(result->messages[0].attachments(9).url(), "https://api.twilio.com/m/9");

  // Absent NumMedia means none.
  auto none = normalize(signedRequest(without(minimalSms(), "NumMedia")));
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->messages[0].attachments_size(), 0);
}

TEST(SmsConnectorTest, RejectsMissingOrInvalidMedia) {
  Params two = with(minimalSms(), "NumMedia", "2");
  two.emplace_back("MediaUrl0", "https://api.twilio.com/m/0");
  auto result = normalize(signedRequest(two));
  expectRejected(result, Errc::kMissingField, "missing_field");
  EXPECT_NE(result.error().detail().find("MediaUrl1"), std::string::npos);

  Params bad_url = with(minimalSms(), "NumMedia", "1");
  bad_url.emplace_back("MediaUrl0", "javascript:alert(1)");
  expectRejected(normalize(signedRequest(bad_url)), Errc::kMalformedInput, "invalid_field");

  // A content type is optional.
  Params untyped = with(minimalSms(), "NumMedia", "1");
  untyped.emplace_back("MediaUrl0", "https://api.twilio.com/m/0");
  auto ok = normalize(signedRequest(untyped));
  ASSERT_TRUE(ok.has_value()) << ok.error().detail();
  EXPECT_EQ(ok->messages[0].attachments(0).content_type(), "");
}

TEST(SmsConnectorTest, RejectsInvalidSids) {
  expectRejected(normalize(signedRequest(with(minimalSms(), "MessageSid", "SM:1"))),
                 Errc::kMalformedInput, "invalid_field");
  expectRejected(normalize(signedRequest(with(minimalSms(), "MessageSid", std::string(65, 'a')))),
                 Errc::kMalformedInput, "invalid_field");
  expectRejected(normalize(signedRequest(with(minimalSms(), "AccountSid", "AC 1"))),
                 Errc::kMalformedInput, "invalid_field");
  // AccountSid is optional.
  auto result = normalize(signedRequest(without(minimalSms(), "AccountSid")));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  EXPECT_EQ(result->messages[0].recipient().account_id(), "");
}

TEST(SmsConnectorTest, RejectsRepeatedFieldsItReads) {
  Params params = minimalSms();
  params.emplace_back("From", "+14155550199");
  auto result = normalize(signedRequest(params));
  expectRejected(result, Errc::kMalformedInput, "invalid_field");
  EXPECT_NE(result.error().detail().find("From"), std::string::npos);
}

TEST(SmsConnectorTest, LocationAttributesAreBounded) {
  Params params = minimalSms();
  params.emplace_back("FromCountry", "BR");
  params.emplace_back("FromCity", std::string(129, 'x'));  // too long: left out
  params.emplace_back("FromState", "");                    // empty: left out
  params.emplace_back("FromZip", "01310\n100");            // control character: left out
  params.emplace_back("ToCity", "SAO PAULO");              // not copied
  auto result = normalize(signedRequest(params));
  ASSERT_TRUE(result.has_value()) << result.error().detail();
  const auto& attributes = result->messages[0].attributes();
  ASSERT_EQ(attributes.size(), 1u);
  EXPECT_EQ(attributes.at("FromCountry"), "BR");
}

TEST(SmsConnectorTest, RejectsOversizedBody) {
  SmsSettings settings = testSettings();
  settings.max_body_bytes = 64;
  expectRejected(normalize(signedRequest(minimalSms()), settings), Errc::kTooLarge,
                 "body_too_large");
}

TEST(SmsConnectorTest, ValidatesSettings) {
  EXPECT_TRUE(validateSmsSettings(testSettings()).has_value());
  EXPECT_TRUE(validateSmsSettings(SmsSettings{}).has_value());  // disabled: nothing to check

  SmsSettings no_token = testSettings();
  no_token.auth_token.clear();
  no_token.enabled = true;
  auto refused = validateSmsSettings(no_token);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), Errc::kConfig);

  for (std::string url : {"", "example.com/v1/sms/twilio", "https://", "https:///v1/sms/twilio",
                          "https://example.com/v1/sms/twilio?x=1", "https://example.com/a#b",
                          "ftp://example.com/v1/sms/twilio", "https://exa mple.com/"}) {
    SmsSettings bad = testSettings();
    bad.public_url = url;
    auto status = validateSmsSettings(bad);
    ASSERT_FALSE(status.has_value()) << url;
    EXPECT_EQ(status.error().code(), Errc::kConfig) << url;
    EXPECT_EQ(status.error().message().find(kToken), std::string::npos);
  }
}

TEST(SmsConnectorTest, RegistersOnlyWhenConfigured) {
  // No auth token and no explicit choice: skipped.
  ConnectorRegistry none;
  ASSERT_TRUE(registerSmsConnector(none, SmsSettings{}).has_value());
  EXPECT_TRUE(none.empty());

  ConnectorRegistry registry;
  ASSERT_TRUE(registerSmsConnector(registry, testSettings()).has_value());
  EXPECT_NE(registry.find("sms"), nullptr);
  auto again = registerSmsConnector(registry, testSettings());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), Errc::kConfig);

  // Explicitly disabled despite a token.
  SmsSettings disabled = testSettings();
  disabled.enabled = false;
  ConnectorRegistry off;
  ASSERT_TRUE(registerSmsConnector(off, disabled).has_value());
  EXPECT_TRUE(off.empty());

  // Explicitly enabled without a token: refused rather than run unauthenticated.
  SmsSettings unsigned_settings;
  unsigned_settings.enabled = true;
  unsigned_settings.public_url = std::string(kPublicUrl);
  ConnectorRegistry refused;
  auto status = registerSmsConnector(refused, unsigned_settings);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), Errc::kConfig);
  EXPECT_TRUE(refused.empty());

  // A token but no public URL.
  SmsSettings no_url = testSettings();
  no_url.public_url.clear();
  ConnectorRegistry also_refused;
  EXPECT_FALSE(registerSmsConnector(also_refused, no_url).has_value());
}

}  // namespace
}  // namespace switchboard::connectors::sms
