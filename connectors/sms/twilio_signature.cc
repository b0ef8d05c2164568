#include "connectors/sms/twilio_signature.h"

#include <algorithm>
#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/crypto/hmac.h"

namespace switchboard::connectors::sms {
namespace {

constexpr size_t kSha1Bytes = 20;

}  // namespace

Result<std::string> twilioSignature(std::string_view auth_token, std::string_view url,
                                    const std::vector<FormField>& params) {
  std::vector<const FormField*> sorted;
  sorted.reserve(params.size());
  for (const FormField& field : params) sorted.push_back(&field);
  // std::string compares bytes as unsigned char: code-point order for UTF-8.
  std::sort(sorted.begin(), sorted.end(), [](const FormField* a, const FormField* b) {
    int by_name = a->name.compare(b->name);
    return by_name != 0 ? by_name < 0 : a->value < b->value;
  });

  // The MAC runs over the URL, then each name and value: no concatenated copy of the body.
  std::vector<std::string_view> parts;
  parts.reserve(1 + 2 * sorted.size());
  parts.push_back(url);
  for (const FormField* field : sorted) {
    parts.push_back(field->name);
    parts.push_back(field->value);
  }
  std::optional<crypto::Mac> digest = crypto::hmac(crypto::HmacDigest::kSha1, auth_token, parts);
  if (!digest || digest->size != kSha1Bytes) return makeError(Errc::kInternal, "HMAC-SHA1 failed");

  std::array<unsigned char, 4 * ((kSha1Bytes + 2) / 3) + 1> encoded;  // 28 + NUL
  int length =
      EVP_EncodeBlock(encoded.data(), digest->bytes.data(), static_cast<int>(digest->size));
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<size_t>(length));
}

bool signatureMatches(std::string_view expected, std::string_view received) {
  // Compare equal-length buffers: `received` is copied into (or cut to) expected's size, so
  // the work never depends on received.size() nor on the position of the first difference.
  std::string candidate(expected.size(), '\0');
  std::copy_n(received.begin(), std::min(received.size(), expected.size()), candidate.begin());
  bool same_bytes = CRYPTO_memcmp(candidate.data(), expected.data(), expected.size()) == 0;
  return same_bytes && received.size() == expected.size() && !expected.empty();
}

std::optional<std::string> withOtherDefaultPortForm(std::string_view url) {
  std::string_view default_port;
  size_t scheme_end;
  if (url.starts_with("https://")) {
    default_port = "443";
    scheme_end = 8;
  } else if (url.starts_with("http://")) {
    default_port = "80";
    scheme_end = 7;
  } else {
    return std::nullopt;
  }
  size_t authority_end = url.find_first_of("/?#", scheme_end);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(scheme_end, authority_end - scheme_end);
  size_t at = authority.rfind('@');
  size_t host_start = at == std::string_view::npos ? 0 : at + 1;
  std::string_view host_port = authority.substr(host_start);
  // An IPv6 literal holds colons of its own: the port colon comes after ']'.
  size_t bracket = host_port.rfind(']');
  size_t colon = host_port.rfind(':');
  bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  if (host_port.empty() || (has_port && colon == 0)) return std::nullopt;

  size_t host_port_start = scheme_end + host_start;
  std::string out(url.substr(0, host_port_start));
  if (!has_port) {
    out += host_port;
    out += ':';
    out += default_port;
  } else if (host_port.substr(colon + 1) == default_port) {
    out += host_port.substr(0, colon);
  } else {
    return std::nullopt;
  }
  out += url.substr(authority_end);
  return out;
}

}  // namespace switchboard::connectors::sms
