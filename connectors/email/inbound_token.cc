#include "connectors/email/inbound_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <vector>

#include "core/crypto/digest.h"

namespace switchboard::connectors::email {
namespace {

constexpr size_t kMaxCredentialsBytes = 1024;

// `expected` is lowercase.
bool equalsNoCase(std::string_view s, std::string_view expected) {
  if (s.size() != expected.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != expected[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

// Standard base64 with padding, as RFC 7617 requires; nullopt when it is not.
std::optional<std::string> decodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > kMaxCredentialsBytes) {
    return std::nullopt;
  }
  std::vector<unsigned char> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t size = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (text.back() == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

}  // namespace

InboundToken::InboundToken(std::string_view token) : digest_(crypto::sha256Hex(token)) {}

InboundToken::Check InboundToken::check(std::optional<std::string_view> authorization) const {
  if (!authorization) return Check::kMissing;
  std::string_view value = trim(*authorization);
  if (value.empty()) return Check::kMissing;
  // "<scheme> <credentials>"; a scheme alone ("Bearer") presents nothing.
  const size_t space = value.find(' ');
  const std::string_view scheme = value.substr(0, space);
  const std::string_view credentials =
      space == std::string_view::npos ? std::string_view() : trim(value.substr(space + 1));
  std::string presented;
  if (equalsNoCase(scheme, "bearer")) {
    presented = std::string(credentials);
  } else if (equalsNoCase(scheme, "basic")) {
    if (credentials.empty()) return Check::kMissing;
    std::optional<std::string> decoded = decodeBase64(credentials);
    if (!decoded) return Check::kMismatch;
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) return Check::kMismatch;
    presented = decoded->substr(colon + 1);  // the user name is free
  } else {
    return Check::kMismatch;
  }
  if (presented.empty()) return Check::kMissing;
  const std::string digest = crypto::sha256Hex(presented);
  return CRYPTO_memcmp(digest.data(), digest_.data(), digest_.size()) == 0 ? Check::kValid
                                                                           : Check::kMismatch;
}

}  // namespace switchboard::connectors::email
