// The answer of the email connectors once a message is durable: 202 with the ids, so that the
// sender can quote them (an SMTP front end turns any 2xx into 250). Pure, thread-safe.
#pragma once

#include "core/http/http_types.h"
#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::connectors::email {

// {"status":"accepted","event_id":"in-…","idempotency_key":"email:…","message_id":"…"}
// (message_id only when the mail had one).
http::Response acceptedEmailAnswer(const v1::InboundMessage& message);

}  // namespace switchboard::connectors::email
