// parseMailbox(), parseMailboxList(): address headers through GMime's RFC 5322 address parser
// (loose mode: unquoted dots and commas in display names, missing angle brackets, RFC 2047
// display names), flattened out of groups and canonicalised for identity.
#include <cctype>
#include <cstring>
#include <optional>
#include <string>

#include "connectors/email/email_normalizer.h"
#include "connectors/email/gmime_mailboxes.h"
#include "connectors/email/gmime_runtime.h"
#include "connectors/email/utf8_text.h"

namespace switchboard::connectors::email {
namespace {

constexpr size_t kMaxAddressBytes = 254;  // RFC 5321 path limit
constexpr size_t kMaxDisplayNameBytes = 256;
constexpr size_t kMaxMailboxes = 100;  // of one header; the rest are ignored

// An addr-spec fit to be an identity: one '@' with something either side, no spaces or
// control characters, bounded. Returned lower-cased (local parts are case-sensitive by the
// letter of RFC 5321, but no mail system in use treats them so, and identity must not split).
std::string canonicalAddress(const char* addr) {
  if (addr == nullptr) return {};
  std::string value(trimSpace(addr));
  if (value.size() >= 2 && value.front() == '<' && value.back() == '>') {
    value = value.substr(1, value.size() - 2);
  }
  const size_t at = value.rfind('@');
  if (value.empty() || value.size() > kMaxAddressBytes || at == std::string::npos || at == 0 ||
      at + 1 == value.size()) {
    return {};
  }
  for (char& c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '<' || c == '>' || c == ',') return {};
    if (byte < 0x80) c = static_cast<char>(std::tolower(byte));
  }
  if (!isValidUtf8(value)) return {};  // SMTPUTF8 addresses are fine, broken bytes are not
  return value;
}

std::string displayName(InternetAddress* address) {
  const char* name = internet_address_get_name(address);
  if (name == nullptr) return {};
  std::string text = sanitizeUtf8(trimSpace(name));
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  truncateBytes(text, kMaxDisplayNameBytes);
  return text;
}

void collect(InternetAddressList* list, std::vector<Mailbox>& out, size_t limit) {
  if (list == nullptr) return;
  const int count = internet_address_list_length(list);
  for (int i = 0; i < count && out.size() < limit; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      collect(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out, limit);
      continue;
    }
    if (!INTERNET_ADDRESS_IS_MAILBOX(address)) continue;
    Mailbox mailbox;
    mailbox.address =
        canonicalAddress(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)));
    if (mailbox.address.empty()) continue;
    mailbox.display_name = displayName(address);
    out.push_back(std::move(mailbox));
  }
}

bool isAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isAtext(unsigned char c) {  // RFC 5322 3.2.3
  return isAsciiAlnum(c) || (c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr);
}

// dot-atom: atoms of `allowed` characters joined by single dots.
template <typename Allowed>
bool isDotAtom(std::string_view text, Allowed allowed) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char previous = '\0';
  for (char c : text) {
    if (c == '.' ? previous == '.' : !allowed(static_cast<unsigned char>(c))) return false;
    previous = c;
  }
  return true;
}

// The address when `value` is nothing but a plain ASCII addr-spec, bare or in angle brackets
// ("ana@example.org", "<ana@example.org>": what SMTP envelopes and most address headers
// hold), else nullopt. For such input GMime's parser yields that addr-spec and no name, so
// this is the same result without building an InternetAddressList (two GObjects and their
// teardown, most of the cost of a call). Domains with an IDNA label ("xn--") are left to
// GMime.
std::optional<std::string> plainAddrSpec(std::string_view value) {
  value = trimSpace(value);
  if (value.size() >= 2 && value.front() == '<' && value.back() == '>') {
    value = value.substr(1, value.size() - 2);
  }
  const size_t at = value.find('@');
  if (at == std::string_view::npos || value.size() > kMaxAddressBytes) return std::nullopt;
  const std::string_view local = value.substr(0, at);
  const std::string_view domain = value.substr(at + 1);
  if (!isDotAtom(local, isAtext)) return std::nullopt;
  auto label_char = [](unsigned char c) { return isAsciiAlnum(c) || c == '-'; };
  if (!isDotAtom(domain, label_char)) return std::nullopt;
  for (size_t i = 0; i + 4 <= domain.size(); ++i) {
    if ((i == 0 || domain[i - 1] == '.') &&
        g_ascii_strncasecmp(domain.data() + i, "xn--", 4) == 0) {
      return std::nullopt;
    }
  }
  // What GMime's addr-spec then goes through.
  return canonicalAddress(std::string(value).c_str());
}

std::vector<Mailbox> parse(std::string_view header_value, size_t limit) {
  std::vector<Mailbox> out;
  if (limit == 0) return out;
  if (std::optional<std::string> address = plainAddrSpec(header_value)) {
    if (!address->empty()) out.push_back(Mailbox{std::move(*address), {}});
    return out;
  }
  GMimeParserOptions* options = gmimeParserOptions();
  const std::string text(header_value);  // GMime wants a NUL-terminated string
  GObjectPtr<InternetAddressList> list(internet_address_list_parse(options, text.c_str()));
  collect(list.get(), out, limit);
  return out;
}

}  // namespace

std::vector<Mailbox> mailboxesOf(InternetAddressList* list, size_t limit) {
  std::vector<Mailbox> out;
  collect(list, out, limit);
  return out;
}

Mailbox parseMailbox(std::string_view header_value) {
  std::vector<Mailbox> mailboxes = parse(header_value, 1);
  return mailboxes.empty() ? Mailbox{} : std::move(mailboxes.front());
}

std::vector<Mailbox> parseMailboxList(std::string_view header_value) {
  return parse(header_value, kMaxMailboxes);
}

}  // namespace switchboard::connectors::email
