// Mailgun's webhook signature and the replay guard that goes with it. Every route POST carries
// `timestamp` (seconds since 1970), `token` (50 random characters) and `signature` = lowercase
// hex HMAC-SHA256(key = the account's HTTP webhook signing key, message = timestamp + token).
// The signature covers neither the body nor the URL, so a captured (timestamp, token,
// signature) triple would authenticate any body until it is refused: hence the timestamp window
// and the one-use token cache, as Mailgun's "Securing Webhooks" page recommends.
// mailgunSignature()/mailgunSignatureMatches() are pure; TokenReplayCache is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace switchboard::connectors::email {

// Lowercase hex HMAC-SHA256(signing_key, timestamp + token), 64 characters.
std::string mailgunSignature(std::string_view signing_key, std::string_view timestamp,
                             std::string_view token);

// True when `presented` (hex, any case) is mailgunSignature(...). Constant time wherever the
// two differ; only a length mismatch (public) returns early.
bool mailgunSignatureMatches(std::string_view signing_key, std::string_view timestamp,
                             std::string_view token, std::string_view presented);

// Remembers the tokens of accepted signatures until their timestamp leaves the window, so that
// each is used once. In memory and per process: replicas behind a load balancer each keep
// their own (a replay sent to another replica within the window is not caught; the event id,
// derived from the Message-ID, still makes a replayed message one event downstream). Bounded:
// past `capacity` live tokens the oldest is forgotten early, which only a flood of validly
// signed requests (Mailgun's own traffic) can cause.
class TokenReplayCache {
 public:
  explicit TokenReplayCache(size_t capacity) : capacity_(capacity) {}

  // True when `token` was not seen before (it is then remembered until `expires`); false when
  // it is a replay. Forgets the entries that expired by `now`.
  bool firstUse(std::string_view token, std::chrono::system_clock::time_point expires,
                std::chrono::system_clock::time_point now);

  size_t size() const;

 private:
  using TimePoint = std::chrono::system_clock::time_point;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, TimePoint> expiry_;
  std::deque<std::pair<TimePoint, std::string>> order_;  // insertion order
};

}  // namespace switchboard::connectors::email
