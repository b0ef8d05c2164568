// Ids and trace context for ingress: random ids where the input carries none, and W3C
// trace-context parsing. (Deterministic ids come from core/crypto/digest.h.) Pure functions,
// safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/timestamp.pb.h>

namespace switchboard {

// `digits` random lowercase hex digits from a cryptographic generator.
std::string randomHex(size_t digits);

// A random RFC 4122 version-4 UUID, lowercase: "1b4e28ba-2fa1-4d2b-883f-0016d3cca427".
std::string randomUuid();

// The trace id (32 lowercase hex) of a valid W3C `traceparent` header value, else nullopt.
std::optional<std::string> traceIdFromTraceparent(std::string_view traceparent);

// The trace id of `traceparent` when it is present and valid, else a fresh random one.
std::string traceIdOrRandom(std::optional<std::string_view> traceparent);

void setTimestamp(std::chrono::system_clock::time_point t, google::protobuf::Timestamp* out);

}  // namespace switchboard
