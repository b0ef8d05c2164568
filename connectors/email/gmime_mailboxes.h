// The mailboxes of an address list GMime already parsed (a message's From, To, Reply-To), in
// the canonical form of parseMailbox(). Internal to connectors/email/; thread-safe.
#pragma once

#include <cstddef>
#include <vector>

#include <gmime/gmime.h>

#include "connectors/email/email_normalizer.h"

namespace switchboard::connectors::email {

// At most `limit` mailboxes, groups flattened, unusable addresses skipped. `list` may be null.
std::vector<Mailbox> mailboxesOf(InternetAddressList* list, size_t limit);

}  // namespace switchboard::connectors::email
