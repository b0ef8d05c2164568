#include "connectors/email/accepted_answer.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace switchboard::connectors::email {

http::Response acceptedEmailAnswer(const v1::InboundMessage& message) {
  boost::json::object body;
  body["status"] = "accepted";
  body["event_id"] = message.envelope().event_id();
  body["idempotency_key"] = message.envelope().idempotency_key();
  if (!message.thread().message_id().empty()) body["message_id"] = message.thread().message_id();
  http::Response response;
  response.status = 202;
  response.body = boost::json::serialize(body);
  return response;
}

}  // namespace switchboard::connectors::email
