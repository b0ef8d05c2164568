#include "connectors/sms/twilio_signature.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace switchboard::connectors::sms {
namespace {

// Independent of the code under test: OpenSSL's one-shot HMAC() over a message spelled out.
std::string hmacSha1Base64(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &size);
  unsigned char encoded[64];
  int length = EVP_EncodeBlock(encoded, digest, static_cast<int>(size));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(length));
}

std::string sign(std::string_view token, std::string_view url,
                 const std::vector<FormField>& params) {
  auto signature = twilioSignature(token, url, params);
  EXPECT_TRUE(signature.has_value());
  return signature.has_value() ? *signature : std::string();
}

// The example in Twilio's security documentation (and its helper libraries' tests): auth
// token "12345", a URL with a query, a voice call's parameters.
TEST(SmsSignatureTest, MatchesTwilioDocumentedExample) {
  const std::vector<FormField> params = {{"CallSid", "CA1234567890ABCDE"},
                                         {"Caller", "+14158675309"},
                                         {"Digits", "1234"},
                                         {"From", "+14158675309"},
                                         {"To", "+18005551212"}};
  EXPECT_EQ(sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

TEST(SmsSignatureTest, SortsParametersByName) {
  const std::vector<FormField> shuffled = {
      {"To", "+15558675310"}, {"Body", "Hi"}, {"From", "+14155550100"}, {"AccountSid", "AC1"}};
  EXPECT_EQ(sign("k", "https://example.com/v1/sms/twilio", shuffled),
            hmacSha1Base64("k",
                           "https://example.com/v1/sms/twilio"
                           "AccountSidAC1BodyHiFrom+14155550100To+15558675310"));
}

TEST(SmsSignatureTest, SortsRepeatedKeysByValue) {
  const std::vector<FormField> params = {{"b", "x"}, {"a", "2"}, {"a", "10"}, {"a", "1"}};
  // Byte order: "1" < "10" < "2".
  std::string expected = hmacSha1Base64("k", "https://h/pa1a10a2bx");
  EXPECT_EQ(sign("k", "https://h/p", params), expected);
  const std::vector<FormField> reordered = {{"a", "1"}, {"a", "10"}, {"a", "2"}, {"b", "x"}};
  EXPECT_EQ(sign("k", "https://h/p", reordered), expected);
}

TEST(SmsSignatureTest, CaseSensitiveByteOrder) {
  // 'B' (0x42) sorts before 'a' (0x61), as in Twilio's "Unix-style case-sensitive sorting".
  const std::vector<FormField> params = {{"a", "1"}, {"B", "2"}};
  EXPECT_EQ(sign("k", "u", params), hmacSha1Base64("k", "uB2a1"));
}

TEST(SmsSignatureTest, EmptyValuesAndNoParameters) {
  EXPECT_EQ(sign("k", "https://h/p", {}), hmacSha1Base64("k", "https://h/p"));
  EXPECT_EQ(sign("k", "https://h/p", {{"Body", ""}, {"A", "1"}}),
            hmacSha1Base64("k", "https://h/pA1Body"));
}

TEST(SmsSignatureTest, DependsOnTokenUrlAndEveryParameter) {
  const std::vector<FormField> params = {{"Body", "Hi"}, {"From", "+14155550100"}};
  std::string base = sign("k", "https://h/p", params);
  EXPECT_EQ(base.size(), 28u);
  EXPECT_NE(sign("k2", "https://h/p", params), base);
  EXPECT_NE(sign("k", "http://h/p", params), base);
  EXPECT_NE(sign("k", "https://h/p?x=1", params), base);
  EXPECT_NE(sign("k", "https://h/p", {{"Body", "Hi!"}, {"From", "+14155550100"}}), base);
  EXPECT_NE(sign("k", "https://h/p", {{"Body", "Hi"}}), base);
}

TEST(SmsSignatureTest, ComparesExactly) {
  const std::string expected = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
  EXPECT_TRUE(signatureMatches(expected, expected));
  EXPECT_FALSE(signatureMatches(expected, "RSOYDt4T1cUTdK1PDd93/VVr8B8"));    // shorter
  EXPECT_FALSE(signatureMatches(expected, "RSOYDt4T1cUTdK1PDd93/VVr8B8=="));  // longer
  EXPECT_FALSE(signatureMatches(expected, "RSOYDt4T1cUTdK1PDd93/VVr8B9="));   // last differs
  EXPECT_FALSE(signatureMatches(expected, "SSOYDt4T1cUTdK1PDd93/VVr8B8="));   // first differs
  EXPECT_FALSE(signatureMatches(expected, "rsoydt4t1cutdk1pdd93/vvr8b8="));   // case matters
  EXPECT_FALSE(signatureMatches(expected, ""));
  EXPECT_FALSE(signatureMatches(expected, std::string(10000, 'A')));
  // A received value padded with NULs to the right length does not match either.
  EXPECT_FALSE(signatureMatches(expected, std::string("RSOYDt4T1cUTdK1PDd93/VVr8B8") + '\0'));
  EXPECT_FALSE(signatureMatches("", ""));
}

TEST(SmsSignatureTest, OtherDefaultPortForm) {
  EXPECT_EQ(withOtherDefaultPortForm("https://example.com/v1/sms/twilio"),
            "https://example.com:443/v1/sms/twilio");
  EXPECT_EQ(withOtherDefaultPortForm("https://example.com:443/v1/sms/twilio"),
            "https://example.com/v1/sms/twilio");
  EXPECT_EQ(withOtherDefaultPortForm("http://example.com/x"), "http://example.com:80/x");
  EXPECT_EQ(withOtherDefaultPortForm("http://example.com:80/x"), "http://example.com/x");
  EXPECT_EQ(withOtherDefaultPortForm("https://example.com"), "https://example.com:443");
  EXPECT_EQ(withOtherDefaultPortForm("https://user:pa:ss@example.com/x"),
            "https://user:pa:ss@example.com:443/x");
  EXPECT_EQ(withOtherDefaultPortForm("https://[2001:db8::1]/x"), "https://[2001:db8::1]:443/x");
  EXPECT_EQ(withOtherDefaultPortForm("https://[2001:db8::1]:443/x"), "https://[2001:db8::1]/x");
  // A non-default port, or no http(s): nothing else to try.
  EXPECT_FALSE(withOtherDefaultPortForm("https://example.com:8443/x").has_value());
  EXPECT_FALSE(withOtherDefaultPortForm("http://example.com:443/x").has_value());
  EXPECT_FALSE(withOtherDefaultPortForm("ftp://example.com/x").has_value());
  EXPECT_FALSE(withOtherDefaultPortForm("https:///x").has_value());
  EXPECT_FALSE(withOtherDefaultPortForm("").has_value());
}

}  // namespace
}  // namespace switchboard::connectors::sms
