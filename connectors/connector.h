// The connector interface. A connector turns one provider's raw HTTP request into normalized
// switchboard.v1.InboundMessages, or says precisely why it cannot. It never owns I/O: the
// ingress host owns HTTP, Kafka, retries, dead letters and metrics (like Envoy's filters).
// Lifecycle: built once at start-up by its register function and owned by the
// ConnectorRegistry. normalize() is const and runs concurrently on the HTTP server's threads.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/system/result.hpp>

#include "core/http/http_types.h"
#include "core/result.h"
#include "switchboard/v1/inbound_message.pb.h"

namespace switchboard::connectors {

// Why a connector refused a request. `code` picks the HTTP status (http_status.h); `reason`
// is a short machine string from a small fixed set ("malformed_json", "missing_field",
// "wrong_content_type" ...), used as a metric label and as DeadLetter.reason, so it must
// never carry ids or user input and must point to static storage. `detail` is for humans
// (the API answer and the dead letter) and may quote field names.
class Rejection {
 public:
  Rejection() = default;  // required by boost::system::result
  Rejection(Errc code, std::string_view reason, std::string detail)
      : code_(code), reason_(reason), detail_(std::move(detail)) {}
  Errc code() const { return code_; }
  std::string_view reason() const { return reason_; }
  const std::string& detail() const { return detail_; }

 private:
  Errc code_ = Errc::kInternal;
  std::string_view reason_ = "internal";
  std::string detail_;
};

template <typename T>
using ConnectorResult = boost::system::result<T, Rejection>;

// What a connector made of an accepted request.
struct NormalizedBatch {
  // Each becomes one record on the inbound topic. May be empty (a provider's verification
  // handshake or delivery receipt): the host then answers `accepted` at once.
  std::vector<v1::InboundMessage> messages;
  // Events the request carried that are recognised but deliberately not routed (the
  // business's own echoes, read and delivery receipts, status updates ...), one entry per
  // event. Each is a short lowercase kind ("echo", "read", "status") from the connector's
  // small fixed set, in static storage like Rejection::reason(): the host counts them per
  // kind (switchboard_ingress_notices_total) once the request is accepted.
  std::vector<std::string_view> notices;
  // The answer the provider expects once every message is durable.
  http::Response accepted;
};

struct Route {
  std::string method;  // "POST"
  std::string path;    // exact, or a prefix ending in '/'
};

class Connector {
 public:
  virtual ~Connector() = default;
  // Short, stable, lowercase: "chat". The `channel` metric label and "connector/<name>".
  virtual std::string_view name() const = 0;
  virtual v1::Channel channel() const = 0;
  virtual std::vector<Route> routes() const = 0;
  // Verifies and normalizes one request. `now` is the time the request was received.
  virtual ConnectorResult<NormalizedBatch> normalize(
      const http::Request& request, std::chrono::system_clock::time_point now) const = 0;
  // The answer to a refused request. The default maps the Errc the one usual way
  // (core/http/error_status.h); a provider whose retry logic reads status codes differently
  // (Mailgun stops retrying only on 200 and 406) overrides it.
  virtual http::Response rejectionAnswer(const Rejection& rejection) const;
};

// boost::system::result reports a failed value() through this (tests only; the data path
// checks has_value()).
[[noreturn]] void throw_exception_from_error(const Rejection& rejection,
                                             const boost::source_location& location);

}  // namespace switchboard::connectors
