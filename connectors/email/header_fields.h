// Header fields shared by the raw-MIME normalizer and the inbound-parse (pre-parsed) builder,
// so that both bound and clean the same headers the same way. Pure functions over GMime
// objects; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <gmime/gmime.h>

#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::connectors::email {

// RFC 5322 line limit: no real Message-ID or Subject is longer; longer ones are cut (subject)
// or ignored (ids, which are useless when cut).
inline constexpr size_t kMaxHeaderBytes = 998;
inline constexpr size_t kMaxReferences = 32;  // the thread's root and the most recent ones
inline constexpr size_t kMaxAttributeBytes = 256;

// Header text on one line, valid UTF-8, bounded. A null value is empty.
std::string oneLine(std::string_view value, size_t max_bytes);
std::string oneLine(const char* value, size_t max_bytes);

// A msg-id without angle brackets, or empty when it cannot serve as an id.
std::string messageId(const char* value);

// The msg-ids of a References/In-Reply-To header of `headers`, bounded to kMaxReferences.
std::vector<std::string> references(GMimeObject* headers, const char* name);

// Date → sent_at, when it is within google.protobuf.Timestamp's range.
void setSentAt(GMimeMessage* message, v1::InboundMessage& out);

// attributes[key] = oneLine(value) unless empty (or null).
void setAttribute(v1::InboundMessage& out, std::string_view key, const char* value);

}  // namespace switchboard::connectors::email
