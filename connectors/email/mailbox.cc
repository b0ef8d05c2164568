// parseMailbox(), parseMailboxList(): address headers through GMime's RFC 5322 address parser
// (loose mode: unquoted dots and commas in display names, missing angle brackets, RFC 2047
// display names), flattened out of groups and canonicalised for identity.
#include <cctype>
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

std::vector<Mailbox> parse(std::string_view header_value, size_t limit) {
  std::vector<Mailbox> out;
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
