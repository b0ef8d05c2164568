#include "connectors/sms/phone_number.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace switchboard::connectors::sms {
namespace {

struct Case {
  std::string raw;
  std::optional<std::string> e164;
};

TEST(SmsPhoneNumberTest, NormalizesToE164) {
  const Case cases[] = {
      {"+14155550100", "+14155550100"},
      {"+1 (415) 555-0100", "+14155550100"},
      {"+1.415.555.0100", "+14155550100"},
      {"  +1 415 555 0100  ", "+14155550100"},
      {"(+1) 415-555-0100", "+14155550100"},
      {"+44 20 7946 0958", "+442079460958"},
      {"+55 (11) 91234-5678", "+5511912345678"},
      {"+12345678", "+12345678"},                // 8 digits: the shortest accepted
      {"+123456789012345", "+123456789012345"},  // 15 digits: the longest
      // Refused.
      {"+1234567", std::nullopt},           // 7 digits
      {"+1234567890123456", std::nullopt},  // 16 digits
      {"14155550100", std::nullopt},        // no '+'
      {"0014155550100", std::nullopt},      // international prefix instead of '+'
      {"+04155550100", std::nullopt},       // country codes never start with 0
      {"++14155550100", std::nullopt},
      {"1+4155550100", std::nullopt},
      {"+1415555010+0", std::nullopt},
      {"+1415555010a", std::nullopt},
      {"+1/415/555/0100", std::nullopt},
      {"+1_415_555_0100", std::nullopt},
      {"+1 415 555 0100 ext 2", std::nullopt},
      {"whatsapp:+14155550100", std::nullopt},  // callers strip channel prefixes
      {"tel:+14155550100", std::nullopt},
      {"+\xEF\xBC\x91\xEF\xBC\x94\xEF\xBC\x91\xEF\xBC\x95\xEF\xBC\x95\xEF\xBC\x95\xEF\xBC\x95"
       "\xEF\xBC\x90\xEF\xBC\x91",
       std::nullopt},  // full-width digits
      {"+1\t4155550100", std::nullopt},
      {"", std::nullopt},
      {"+", std::nullopt},
      {"()- .", std::nullopt},
      {"SHORTCODE", std::nullopt},
      {"12345", std::nullopt},  // a short code
  };
  for (const Case& c : cases) {
    EXPECT_EQ(normalizeE164(c.raw), c.e164) << "'" << c.raw << "'";
  }
}

TEST(SmsPhoneNumberTest, LongInputIsRefusedEarly) {
  EXPECT_FALSE(normalizeE164("+" + std::string(100000, '1')).has_value());
}

}  // namespace
}  // namespace switchboard::connectors::sms
