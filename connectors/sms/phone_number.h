// Phone numbers in canonical E.164 form, so that one person texting twice (or through SMS and
// WhatsApp) yields the same Address.value. Pure functions, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchboard::connectors::sms {

// "+1 (415) 555-0100" → "+14155550100". Spaces, dashes, parentheses and dots are dropped; what
// remains must be '+' and 8 to 15 digits, the first not 0 (country codes never start with 0).
// Anything else (no '+', letters, a "whatsapp:" prefix, other punctuation) gives nullopt:
// callers strip channel prefixes themselves.
std::optional<std::string> normalizeE164(std::string_view raw);

}  // namespace switchboard::connectors::sms
