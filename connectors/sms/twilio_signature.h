// Twilio's request signature (X-Twilio-Signature) for form-encoded webhooks:
//
//   Base64(HMAC-SHA1(key = auth token,
//                    msg = URL as Twilio called it, query included
//                          + for each POST parameter sorted by (name, value): name + value))
//
// with the decoded names and values and no separators. Pure functions over OpenSSL, safe from
// any thread. See https://www.twilio.com/docs/usage/webhooks/webhooks-security.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/common/form_urlencoded.h"
#include "core/result.h"

namespace switchboard::connectors::sms {

// The signature Twilio sends for `params` posted to `url` (28 Base64 characters). Fails with
// Errc::kInternal only if OpenSSL does.
Result<std::string> twilioSignature(std::string_view auth_token, std::string_view url,
                                    const std::vector<FormField>& params);

// Compares a received signature with the expected one in time that depends only on
// expected.size() (which is public: always 28), never on where they differ or on
// received.size().
bool signatureMatches(std::string_view expected, std::string_view received);

// Twilio's helper libraries accept a signature computed over the URL with or without the
// scheme's default port ("https://h/p" and "https://h:443/p"), because which one Twilio signs
// has varied. This is the other form of `url`, or nullopt when the URL is not http(s) or names
// a non-default port.
std::optional<std::string> withOtherDefaultPortForm(std::string_view url);

}  // namespace switchboard::connectors::sms
