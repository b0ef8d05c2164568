// Key layout of a task's key space in the state store. Processor state lives under "s/";
// the runner's own bookkeeping under "r/". Everything except "r/clog/" is mirrored to the
// changelog; "r/clog/" describes the local store's relation to the changelog.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace switchboard::stage::keys {

inline constexpr std::string_view kProcessor = "s/";
// r/pos/<topic> → next input offset to process (decimal).
inline constexpr std::string_view kPosition = "r/pos/";
// r/out/<batch seq, 20 digits>/<index, 8 digits> → PendingOutput not yet acknowledged.
inline constexpr std::string_view kOutbox = "r/out/";
// r/wm/<topic>/<partition> → offset at or after which this task's unacknowledged outputs to
// that partition can be found (for the replay check).
inline constexpr std::string_view kOutputMark = "r/wm/";
// Local-only:
inline constexpr std::string_view kChangelogPrefix = "r/clog/";
inline constexpr std::string_view kHead = "r/clog/head";  // batch id of the last batch applied
inline constexpr std::string_view kSeq = "r/clog/seq";    // its sequence number
inline constexpr std::string_view kNext = "r/clog/next";  // changelog offset to read from
inline constexpr std::string_view kPendingBatch = "r/clog/pending/";  // + part: not yet acked
// Changelog bytes since the newest snapshot, after the last batch (decimal).
inline constexpr std::string_view kSinceSnapshot = "r/clog/since-snapshot";
// r/clog/carry/<key> → "=<value>" or "-" (deleted): a write already applied to the local store
// outside a changelog batch (outbox cleared, mark moved) that the next batch must carry, kept
// durable so that a restart or a revoke-and-reassign does not leave the changelog without it.
inline constexpr std::string_view kCarry = "r/clog/carry/";

inline std::string position(std::string_view topic) {
  return std::string(kPosition) + std::string(topic);
}

inline std::string outputMark(std::string_view topic, int32_t partition) {
  return std::string(kOutputMark) + std::string(topic) + "/" + std::to_string(partition);
}

inline std::string outbox(uint64_t seq, size_t index) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%020llu/%08zu", static_cast<unsigned long long>(seq), index);
  return std::string(kOutbox) + buf;
}

inline std::string carry(std::string_view key) {
  return std::string(kCarry) + std::string(key);
}

inline std::string pendingBatch(size_t part) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06zu", part);
  return std::string(kPendingBatch) + buf;
}

}  // namespace switchboard::stage::keys
