// Rejection reasons every connector shares. They are metric labels and DeadLetter reasons, so
// one spelling across channels lets a dashboard sum "bad_signature" over all of them.
// Channel-specific reasons stay in the connector's own file.
#pragma once

#include <string_view>

namespace switchboard::connectors::reasons {

inline constexpr std::string_view kWrongContentType = "wrong_content_type";
inline constexpr std::string_view kBodyTooLarge = "body_too_large";
inline constexpr std::string_view kMalformedJson = "malformed_json";
inline constexpr std::string_view kMissingField = "missing_field";
inline constexpr std::string_view kInvalidField = "invalid_field";
inline constexpr std::string_view kMissingSignature = "missing_signature";
inline constexpr std::string_view kBadSignature = "bad_signature";
// A signature whose signed timestamp is outside the accepted window (a replay, or a clock
// off by more than the window on either side).
inline constexpr std::string_view kStaleTimestamp = "stale_timestamp";
// A request under /v1/ that no enabled connector serves (a fax webhook, a typo, a connector
// switched off). Counted under the channel label "unknown".
inline constexpr std::string_view kUnknownChannel = "unknown_channel";

}  // namespace switchboard::connectors::reasons
