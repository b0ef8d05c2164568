// Runs the registered connectors behind the HTTP server. For each request: the connector
// normalizes it; each InboundMessage goes to the inbound topic (key = sender address, sb-id =
// event id); the connector's answer is sent only once every record's delivery report came
// back successful ("accepted means durable"); the batch's notices (events recognised but not
// routed) are counted then too. A failed produce or delivery answers 503 with
// Retry-After: the sender retries with the same ids and the router drops what already landed.
// Back-pressure (docs/back-pressure.md): a request that arrives while the accepted requests
// still awaiting their reports, or their record bytes, are at IngressOptions' limit is answered
// 503 with Retry-After at once, before its connector parses it; nothing is produced or
// dead-lettered for it. So memory stays bounded when Kafka is slow or down.
// A refused request's raw payload goes to the dead-letter topic, and the mapped 4xx is sent
// only once that record is durable ("a 4xx means dead-lettered"); when it cannot be written the
// answer is 503 + Retry-After, so the sender retries. So does a body over the server's
// max_body_bytes (413 body_too_large; the server hands over only its first
// max_dead_letter_payload_bytes). A refused request takes an in-flight slot and its dead
// letter's bytes while it waits, like an accepted one.
// With the chat connector enabled, attach() also serves the chat WebSocket (chat_websocket.h).
//
// Lifecycle: construct after the producer and the registry (both must outlive the host),
// attach() to the server before it starts; stop the server before destroying the host. The
// destructor waits until every record the host produced has its delivery report (bounded by the
// producer's delivery timeout), so no report reaches a destroyed host. Requests run on the server's
// I/O threads and reports on the producer's poll thread; the request path takes no locks of its
// own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "connectors/connector_registry.h"
#include "connectors/ingress/chat_websocket.h"
#include "connectors/ingress/ingress_probe.h"
#include "core/http/http_server.h"
#include "core/kafka/producer.h"
#include "core/metrics/metrics_registry.h"
#include "core/topics.h"

namespace switchboard::connectors {

struct IngressOptions {
  // Sent with every 503.
  std::chrono::seconds retry_after{5};
  // In-flight limits (0: none): accepted requests awaiting their delivery reports, and the
  // bytes of their records (key + value + headers) held by the producer meanwhile. A request
  // that finds either at its limit is answered 503 at once; one request alone may exceed the
  // byte limit (it is bounded by the server's max_body_bytes).
  size_t max_inflight_requests = 1024;
  size_t max_inflight_bytes = 32 << 20;
  // Dead letters keep at most this much of a refused body (records must stay under the
  // broker's message.max.bytes); the original size goes in the "payload_bytes" attribute.
  size_t max_dead_letter_payload_bytes = 256 << 10;
  // ...and of a request that failed authentication (missing or bad signature or token).
  size_t max_unauthenticated_payload_bytes = 4 << 10;
  // GET /v1/chat/ws, served when the chat connector is enabled.
  ChatWebSocketOptions chat_websocket;
};

class IngressHost {
 public:
  IngressHost(kafka::Producer& producer, Topics topics, metrics::MetricsRegistry& metrics,
              const ConnectorRegistry& connectors, IngressOptions options = {});
  ~IngressHost();
  IngressHost(const IngressHost&) = delete;
  IngressHost& operator=(const IngressHost&) = delete;

  // Registers every route of every connector on `server`. Call before server.start().
  void attach(http::HttpServer& server);

  // The same path for front ends that are not the HTTP server (the SMTP/LMTP listener, the
  // chat WebSocket): `request` is handed to the connector called `connector_name` as if it had
  // arrived over HTTP, and `respond` gets the answer that HTTP would have sent (2xx only once
  // every record is durable, 503 when Kafka cannot take it, 4xx plus a dead letter otherwise).
  // An unknown or disabled connector answers 404. Thread-safe, like the HTTP path.
  void submit(std::string_view connector_name, http::Request&& request, http::Responder respond);

  // Delivery reports the host still waits for (accepted and refused requests).
  int64_t inFlight() const { return in_flight_.load(std::memory_order_acquire); }
  // Requests counted against the in-flight limits, and their bytes.
  int64_t admittedRequests() const { return admitted_requests_.load(std::memory_order_relaxed); }
  int64_t admittedBytes() const { return admitted_bytes_.load(std::memory_order_relaxed); }

 private:
  struct Bound {
    const Connector* connector;  // nullptr for unknown_channel_
    IngressProbe::ChannelProbe probe;
    std::string dead_letter_source;  // "connector/<name>"
  };
  class PendingRequest;
  class PendingRejection;
  class Admission;

  void handle(Bound& bound, http::Request&& request, http::Responder respond);
  // A body over the server's limit: `request.body` is its first bytes, `body_bytes` its size.
  void rejectOversized(Bound& bound, http::Request&& request, size_t body_bytes,
                       const http::Responder& respond);
  // Anything under /v1/ that no connector serves: 404 unknown_channel, counted, and a dead
  // letter when it carried a body (or was a POST, PUT or PATCH).
  void rejectUnknownChannel(http::Request&& request, size_t body_bytes,
                            const http::Responder& respond);
  void reject(Bound& bound, http::Request&& request, const Rejection& rejection,
              std::chrono::system_clock::time_point now,
              std::chrono::steady_clock::time_point start, Admission& admission,
              const http::Responder& respond);
  // Produces the dead letter of `request` and answers `answer` (the 4xx of `rejection`) once it
  // is durable, 503 if it cannot be written; `admission` is handed over until then.
  // `payload_bytes`: the size of the original body, when request.body is already a prefix.
  void answerAfterDeadLetter(Bound& bound, http::Request&& request, const Rejection& rejection,
                             http::Response answer, size_t payload_bytes,
                             std::chrono::system_clock::time_point now,
                             std::chrono::steady_clock::time_point start, Admission& admission,
                             const http::Responder& respond);
  // The dead-letter record of `request` (its value empty if it could not be serialized).
  kafka::OutgoingRecord deadLetterRecord(Bound& bound, http::Request&& request,
                                         const Rejection& rejection,
                                         std::chrono::system_clock::time_point now,
                                         size_t payload_bytes) const;
  // The in-flight limits. admitRequest() takes a request slot, admitBytes() adds the records'
  // bytes; false (and nothing taken) at the limit. releaseAdmission() gives both back.
  bool admitRequest();
  bool admitBytes(int64_t bytes);
  void releaseAdmission(int64_t bytes);
  // The immediate 503 of a request refused by the in-flight limit `limit`.
  void overloaded(Bound& bound, std::string_view limit, std::chrono::steady_clock::time_point start,
                  const http::Responder& respond);
  void acquire() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  // The last access to the host by a finished listener.
  void release() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }
  // At most one warning per second, so that an outage does not flood the log.
  void warnRateLimited(std::string_view message);

  kafka::Producer& producer_;
  const Topics topics_;
  const IngressOptions options_;
  IngressProbe probe_;
  const std::string inbound_type_;
  const std::string dead_letter_type_;
  std::vector<std::unique_ptr<Bound>> bound_;      // stable addresses: captured by routes
  Bound unknown_channel_;                          // channel "unknown", source "ingress"
  std::string served_paths_;                       // "POST /v1/chat/messages, ...", for 404s
  std::unique_ptr<ChatWebSocket> chat_websocket_;  // when the chat connector is enabled
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> admitted_requests_{0};
  std::atomic<int64_t> admitted_bytes_{0};
  std::atomic<int64_t> next_warning_ns_{0};
};

}  // namespace switchboard::connectors
