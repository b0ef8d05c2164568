// GMime's share of normalizeRawEmail(), on its own: for benchmarks/email_normalize_benchmark.cc,
// which measures the floor of the normalizer's cost while it parses with GMime. Kept apart from
// gmime_runtime.h so that its callers need no GMime headers. Thread-safe.
#pragma once

#include <string_view>

namespace switchboard::connectors::email {

// Builds the GMime tree of `raw` exactly as normalizeRawEmail() does (BorrowedMessage) and frees
// it, reading nothing from it. False when GMime found no message.
bool parseAndFreeWithGMime(std::string_view raw);

}  // namespace switchboard::connectors::email
