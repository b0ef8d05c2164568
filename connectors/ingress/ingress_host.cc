#include "connectors/ingress/ingress_host.h"

#include <string_view>
#include <thread>
#include <utility>

#include "connectors/common/rejection_reasons.h"
#include "core/http/error_status.h"
#include "core/ids.h"
#include "core/log.h"
#include "switchboard/v1/dead_letter.pb.h"

namespace switchboard::connectors {
namespace {

constexpr std::string_view kComponent = "ingress";
constexpr size_t kMaxUserAgentBytes = 256;
// Everything below it that no connector serves is answered by rejectUnknownChannel().
constexpr std::string_view kUnknownChannelPrefix = "/v1/";

// What a record holds in the producer's queue, as the in-flight byte limit counts it.
int64_t recordBytes(const kafka::OutgoingRecord& record) {
  return static_cast<int64_t>(record.key.size() + record.value.size() + record.event_id.size() +
                              record.event_type.size());
}

}  // namespace

// One accepted request waiting for the delivery reports of its records. Counts the records
// still outstanding plus one hold for the thread that is producing them, so that a report
// arriving before the last produce() cannot answer early. Whoever drops the count to zero
// answers and deletes it.
// It owns the request's admission (one slot, `bytes`) and gives it back before answering, so
// the client's next request finds it free.
class IngressHost::PendingRequest final : public kafka::DeliveryListener {
 public:
  PendingRequest(IngressHost& host, Bound& bound, http::Responder respond, http::Response accepted,
                 std::vector<std::string_view> notices, std::chrono::steady_clock::time_point start,
                 size_t records, int64_t bytes)
      : host_(host),
        bound_(bound),
        respond_(std::move(respond)),
        accepted_(std::move(accepted)),
        notices_(std::move(notices)),
        start_(start),
        bytes_(bytes),
        outstanding_(static_cast<int64_t>(records) + 1) {
    host_.acquire();
  }
  ~PendingRequest() override { host_.release(); }

  void onDelivered(const kafka::DeliveryReport& report) override {
    if (!report.ok()) fail(report.err);
    release(1);
  }

  // produce() refused a record synchronously: it and the `unproduced` - 1 records after it
  // will never report. Producing thread only, before producedAll().
  void abandon(size_t unproduced, std::string why) {
    synchronous_failure_ = std::move(why);
    fail(RD_KAFKA_RESP_ERR__FAIL);
    release(static_cast<int64_t>(unproduced));
  }

  // Drops the producing thread's hold.
  void producedAll() { release(1); }

 private:
  void fail(rd_kafka_resp_err_t err) {
    int expected = RD_KAFKA_RESP_ERR_NO_ERROR;
    first_error_.compare_exchange_strong(expected, static_cast<int>(err),
                                         std::memory_order_acq_rel);
  }

  void release(int64_t count) {
    if (outstanding_.fetch_sub(count, std::memory_order_acq_rel) != count) return;
    finish();
    delete this;
  }

  void finish() {
    host_.releaseAdmission(bytes_);
    auto elapsed = std::chrono::steady_clock::now() - start_;
    auto err = static_cast<rd_kafka_resp_err_t>(first_error_.load(std::memory_order_acquire));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      bound_.probe.requestAccepted(elapsed);
      bound_.probe.noticesAccepted(notices_);
      respond_(std::move(accepted_));
      return;
    }
    bound_.probe.kafkaUnavailable(elapsed);
    host_.warnRateLimited(
        std::string(bound_.connector->name()) + ": could not store a message, answered 503: " +
        (synchronous_failure_.empty() ? std::string(rd_kafka_err2str(err)) : synchronous_failure_));
    respond_(http::unavailableResponse(host_.options_.retry_after,
                                       "the message could not be stored; retry later"));
  }

  IngressHost& host_;
  Bound& bound_;
  http::Responder respond_;
  http::Response accepted_;
  // Counted only when the request is accepted: a 503 is retried and would count them twice.
  std::vector<std::string_view> notices_;
  std::chrono::steady_clock::time_point start_;
  const int64_t bytes_;
  std::atomic<int64_t> outstanding_;
  std::atomic<int> first_error_{RD_KAFKA_RESP_ERR_NO_ERROR};
  std::string synchronous_failure_;
};

// A request slot taken by handle(): given back on every path that answers without waiting for
// Kafka, unless handed over to a PendingRequest.
class IngressHost::Admission {
 public:
  explicit Admission(IngressHost& host) : host_(&host) {}
  ~Admission() {
    if (host_ != nullptr) host_->releaseAdmission(0);
  }
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  void handOver() { host_ = nullptr; }

 private:
  IngressHost* host_;
};

// One refused request waiting for its dead letter. The 4xx goes out only once the dead letter
// is durable, so a sender that got a 4xx knows its raw request is on the dead-letter topic (a
// process killed before that answers nothing, and the sender retries). A dead letter that
// cannot be written answers 503 + Retry-After instead: the retry is refused again and
// dead-lettered then. Owns the request's admission (one slot, `bytes`) and gives it back before
// answering. Deletes itself on its report.
class IngressHost::PendingRejection final : public kafka::DeliveryListener {
 public:
  PendingRejection(IngressHost& host, Bound& bound, http::Responder respond, http::Response answer,
                   std::string_view reason, std::chrono::steady_clock::time_point start,
                   int64_t bytes)
      : host_(host),
        bound_(bound),
        respond_(std::move(respond)),
        answer_(std::move(answer)),
        reason_(reason),
        start_(start),
        bytes_(bytes) {
    host_.acquire();
  }
  ~PendingRejection() override { host_.release(); }

  void onDelivered(const kafka::DeliveryReport& report) override {
    finish(report.ok() ? std::string_view() : std::string_view(rd_kafka_err2str(report.err)));
    delete this;
  }

  // Answers: the 4xx when `failure` is empty, else 503. Called once.
  void finish(std::string_view failure) {
    host_.releaseAdmission(bytes_);
    auto elapsed = std::chrono::steady_clock::now() - start_;
    if (failure.empty()) {
      bound_.probe.deadLetterWritten(reason_);
      bound_.probe.requestRejected(reason_, elapsed);
      respond_(std::move(answer_));
      return;
    }
    bound_.probe.deadLetterFailed();
    bound_.probe.kafkaUnavailable(elapsed);
    host_.warnRateLimited(bound_.dead_letter_source + ": could not write a dead letter (" +
                          std::string(reason_) + "), answered 503: " + std::string(failure));
    respond_(http::unavailableResponse(host_.options_.retry_after,
                                       "the refused request could not be recorded; retry later"));
  }

 private:
  IngressHost& host_;
  Bound& bound_;
  http::Responder respond_;
  http::Response answer_;
  std::string_view reason_;  // static storage, per the Rejection contract
  std::chrono::steady_clock::time_point start_;
  const int64_t bytes_;
};

IngressHost::IngressHost(kafka::Producer& producer, Topics topics,
                         metrics::MetricsRegistry& metrics, const ConnectorRegistry& connectors,
                         IngressOptions options)
    : producer_(producer),
      topics_(std::move(topics)),
      options_(options),
      probe_(metrics),
      inbound_type_(v1::InboundMessage::descriptor()->full_name()),
      dead_letter_type_(v1::DeadLetter::descriptor()->full_name()),
      unknown_channel_{nullptr, probe_.channel("unknown", "ingress"), "ingress"} {
  for (const auto& connector : connectors.connectors()) {
    for (const Route& route : connector->routes()) {
      if (!served_paths_.empty()) served_paths_ += ", ";
      served_paths_ += route.method + " " + route.path;
    }
    std::string source = "connector/" + std::string(connector->name());
    auto bound = std::make_unique<Bound>(
        Bound{connector.get(), probe_.channel(connector->name(), source), source});
    bound_.push_back(std::move(bound));
    if (connector->name() == ChatWebSocket::kConnector) {
      chat_websocket_ = std::make_unique<ChatWebSocket>(*this, metrics, options_.chat_websocket);
    }
  }
}

IngressHost::~IngressHost() {
  // Reports still due would reach a destroyed host; they come within the delivery timeout.
  // Polled rather than notified: release() must not touch the host after its decrement.
  while (in_flight_.load(std::memory_order_acquire) != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void IngressHost::attach(http::HttpServer& server) {
  for (const auto& bound : bound_) {
    for (const Route& route : bound->connector->routes()) {
      server.route(route.method, route.path,
                   [this, b = bound.get()](http::Request&& request, http::Responder respond) {
                     handle(*b, std::move(request), std::move(respond));
                   });
      server.onOversize(route.method, route.path, options_.max_dead_letter_payload_bytes,
                        [this, b = bound.get()](http::Request&& request, size_t body_bytes,
                                                http::Responder respond) {
                          rejectOversized(*b, std::move(request), body_bytes, respond);
                        });
    }
  }
  if (chat_websocket_) chat_websocket_->attach(server);
  // The longest path wins, so every connector route above (and the agent API's /v1/agents/)
  // is matched before this fallback.
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
    server.route(method, std::string(kUnknownChannelPrefix),
                 [this](http::Request&& request, http::Responder respond) {
                   const size_t body_bytes = request.body.size();
                   rejectUnknownChannel(std::move(request), body_bytes, respond);
                 });
    server.onOversize(method, std::string(kUnknownChannelPrefix),
                      options_.max_unauthenticated_payload_bytes,
                      [this](http::Request&& request, size_t body_bytes, http::Responder respond) {
                        rejectUnknownChannel(std::move(request), body_bytes, respond);
                      });
  }
}

void IngressHost::submit(std::string_view connector_name, http::Request&& request,
                         http::Responder respond) {
  for (const auto& bound : bound_) {
    if (bound->connector->name() == connector_name) {
      handle(*bound, std::move(request), std::move(respond));
      return;
    }
  }
  respond(http::jsonError(404, "unknown_connector",
                          "no connector named " + std::string(connector_name) + " is enabled"));
}

void IngressHost::warnRateLimited(std::string_view message) {
  int64_t now = std::chrono::steady_clock::now().time_since_epoch() / std::chrono::nanoseconds(1);
  int64_t next = next_warning_ns_.load(std::memory_order_relaxed);
  if (now < next) return;
  if (!next_warning_ns_.compare_exchange_strong(next, now + 1'000'000'000,
                                                std::memory_order_relaxed)) {
    return;
  }
  log::warn(kComponent, message);
}

bool IngressHost::admitRequest() {
  const int64_t before = admitted_requests_.fetch_add(1, std::memory_order_relaxed);
  if (options_.max_inflight_requests > 0 &&
      before >= static_cast<int64_t>(options_.max_inflight_requests)) {
    admitted_requests_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  // Checked before the connector's work too: while the bytes are at their limit, refusing at
  // once spares the parse.
  if (options_.max_inflight_bytes > 0 && admitted_bytes_.load(std::memory_order_relaxed) >=
                                             static_cast<int64_t>(options_.max_inflight_bytes)) {
    admitted_requests_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  probe_.inFlightRequests().Increment();
  return true;
}

bool IngressHost::admitBytes(int64_t bytes) {
  const int64_t before = admitted_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  if (options_.max_inflight_bytes > 0 && before > 0 &&
      before + bytes > static_cast<int64_t>(options_.max_inflight_bytes)) {
    admitted_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
    return false;
  }
  probe_.inFlightBytes().Increment(static_cast<double>(bytes));
  return true;
}

void IngressHost::releaseAdmission(int64_t bytes) {
  if (bytes > 0) {
    admitted_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
    probe_.inFlightBytes().Decrement(static_cast<double>(bytes));
  }
  admitted_requests_.fetch_sub(1, std::memory_order_relaxed);
  probe_.inFlightRequests().Decrement();
}

void IngressHost::overloaded(Bound& bound, std::string_view limit,
                             std::chrono::steady_clock::time_point start,
                             const http::Responder& respond) {
  bound.probe.backPressure(limit, std::chrono::steady_clock::now() - start);
  warnRateLimited(bound.dead_letter_source + ": too many requests waiting for Kafka (in-flight " +
                  std::string(limit) + " at the limit), answered 503");
  http::Response answer = http::jsonError(503, "overloaded",
                                          "too many requests are waiting for storage (in-flight " +
                                              std::string(limit) + " limit); retry later");
  answer.headers.emplace_back("Retry-After", std::to_string(options_.retry_after.count()));
  respond(std::move(answer));
}

void IngressHost::handle(Bound& bound, http::Request&& request, http::Responder respond) {
  const auto start = std::chrono::steady_clock::now();
  if (!admitRequest()) {
    const bool bytes =
        options_.max_inflight_bytes > 0 && admitted_bytes_.load(std::memory_order_relaxed) >=
                                               static_cast<int64_t>(options_.max_inflight_bytes);
    overloaded(bound, bytes ? "bytes" : "requests", start, respond);
    return;
  }
  Admission admission(*this);
  const auto now = std::chrono::system_clock::now();
  ConnectorResult<NormalizedBatch> normalized = bound.connector->normalize(request, now);
  if (!normalized) {
    reject(bound, std::move(request), normalized.error(), now, start, admission, respond);
    return;
  }
  NormalizedBatch& batch = *normalized;
  if (batch.messages.empty()) {
    bound.probe.requestAccepted(std::chrono::steady_clock::now() - start);
    bound.probe.noticesAccepted(batch.notices);
    respond(std::move(batch.accepted));
    return;
  }

  // Serialize everything before producing anything: a message the host cannot route is a
  // connector bug, and refusing the whole request keeps the answer all-or-nothing.
  std::vector<kafka::OutgoingRecord> records(batch.messages.size());
  for (size_t i = 0; i < batch.messages.size(); ++i) {
    const v1::InboundMessage& message = batch.messages[i];
    kafka::OutgoingRecord& record = records[i];
    if (message.sender().value().empty() || message.envelope().event_id().empty() ||
        !message.SerializeToString(&record.value)) {
      bound.probe.connectorBug(std::chrono::steady_clock::now() - start);
      log::error(kComponent, std::string(bound.connector->name()) +
                                 ": normalized a message without sender or event id");
      respond(
          http::errorResponse(Errc::kInternal, "internal", "the message could not be processed"));
      return;
    }
    record.topic = topics_.inbound;
    record.key = message.sender().value();
    record.event_id = message.envelope().event_id();
    record.event_type = inbound_type_;
  }
  int64_t bytes = 0;
  for (const kafka::OutgoingRecord& record : records) bytes += recordBytes(record);
  if (!admitBytes(bytes)) {
    overloaded(bound, "bytes", start, respond);
    return;
  }

  admission.handOver();
  auto* pending = new PendingRequest(*this, bound, std::move(respond), std::move(batch.accepted),
                                     std::move(batch.notices), start, records.size(), bytes);
  for (size_t i = 0; i < records.size(); ++i) {
    Status produced = producer_.produce(records[i], pending);
    if (!produced) {
      pending->abandon(records.size() - i, produced.error().describe());
      break;
    }
  }
  pending->producedAll();
}

void IngressHost::rejectOversized(Bound& bound, http::Request&& request, size_t body_bytes,
                                  const http::Responder& respond) {
  const auto start = std::chrono::steady_clock::now();
  if (!admitRequest()) {
    overloaded(bound, "requests", start, respond);
    return;
  }
  Admission admission(*this);
  Rejection rejection(Errc::kTooLarge, reasons::kBodyTooLarge,
                      "the request body (" + std::to_string(body_bytes) +
                          " bytes) is larger than this server accepts");
  http::Response answer = bound.connector->rejectionAnswer(rejection);
  answerAfterDeadLetter(bound, std::move(request), rejection, std::move(answer), body_bytes,
                        std::chrono::system_clock::now(), start, admission, respond);
}

void IngressHost::rejectUnknownChannel(http::Request&& request, size_t body_bytes,
                                       const http::Responder& respond) {
  const auto start = std::chrono::steady_clock::now();
  Rejection rejection(Errc::kNotFound, reasons::kUnknownChannel,
                      "no channel is served at " + request.method + " " + request.path +
                          " (served here: " + served_paths_ + ")");
  warnRateLimited("request to unknown channel path " + request.method + " " + request.path +
                  " from " + request.remote_address + ", answered 404");
  http::Response answer = http::jsonError(404, rejection.reason(), rejection.detail());
  const bool carries_payload = body_bytes > 0 || request.method == "POST" ||
                               request.method == "PUT" || request.method == "PATCH";
  if (!carries_payload) {
    unknown_channel_.probe.requestRejected(rejection.reason(),
                                           std::chrono::steady_clock::now() - start);
    respond(std::move(answer));
    return;
  }
  if (!admitRequest()) {
    overloaded(unknown_channel_, "requests", start, respond);
    return;
  }
  Admission admission(*this);
  answerAfterDeadLetter(unknown_channel_, std::move(request), rejection, std::move(answer),
                        body_bytes, std::chrono::system_clock::now(), start, admission, respond);
}

void IngressHost::reject(Bound& bound, http::Request&& request, const Rejection& rejection,
                         std::chrono::system_clock::time_point now,
                         std::chrono::steady_clock::time_point start, Admission& admission,
                         const http::Responder& respond) {
  http::Response answer = bound.connector->rejectionAnswer(rejection);
  const size_t payload_bytes = request.body.size();
  answerAfterDeadLetter(bound, std::move(request), rejection, std::move(answer), payload_bytes, now,
                        start, admission, respond);
}

void IngressHost::answerAfterDeadLetter(Bound& bound, http::Request&& request,
                                        const Rejection& rejection, http::Response answer,
                                        size_t payload_bytes,
                                        std::chrono::system_clock::time_point now,
                                        std::chrono::steady_clock::time_point start,
                                        Admission& admission, const http::Responder& respond) {
  kafka::OutgoingRecord record =
      deadLetterRecord(bound, std::move(request), rejection, now, payload_bytes);
  const int64_t bytes = recordBytes(record);
  if (!admitBytes(bytes)) {
    overloaded(bound, "bytes", start, respond);
    return;
  }
  admission.handOver();
  auto pending = std::make_unique<PendingRejection>(*this, bound, respond, std::move(answer),
                                                    rejection.reason(), start, bytes);
  if (record.value.empty()) {
    pending->finish("could not serialize");
    return;
  }
  Status produced = producer_.produce(record, pending.get());
  if (!produced) {
    pending->finish(produced.error().describe());
    return;
  }
  pending.release();  // deletes itself on its delivery report
}

kafka::OutgoingRecord IngressHost::deadLetterRecord(Bound& bound, http::Request&& request,
                                                    const Rejection& rejection,
                                                    std::chrono::system_clock::time_point now,
                                                    size_t payload_bytes) const {
  v1::DeadLetter letter;
  v1::Envelope* envelope = letter.mutable_envelope();
  envelope->set_event_id("dl-" + randomHex(32));
  envelope->set_trace_id(traceIdOrRandom(request.header("traceparent")));
  setTimestamp(now, envelope->mutable_created_at());
  setTimestamp(now, envelope->mutable_received_at());
  envelope->set_producer(bound.dead_letter_source);
  letter.set_source(bound.dead_letter_source);
  letter.set_reason(std::string(rejection.reason()));
  letter.set_detail(rejection.detail());
  if (auto content_type = request.header("Content-Type")) {
    letter.set_content_type(std::string(*content_type));
  }
  auto& attributes = *letter.mutable_attributes();
  attributes["method"] = request.method;
  attributes["path"] = request.path;
  attributes["remote"] = request.remote_address;
  if (auto user_agent = request.header("User-Agent")) {
    attributes["user_agent"] = std::string(user_agent->substr(0, kMaxUserAgentBytes));
  }
  // Unsigned or forged requests come from anyone, and so do requests to a channel nobody
  // serves: keep enough to investigate, not enough for a stranger to fill the dead-letter topic.
  bool unauthenticated = rejection.code() == Errc::kUnauthenticated ||
                         rejection.code() == Errc::kForbidden ||
                         rejection.code() == Errc::kNotFound;
  size_t keep = unauthenticated ? options_.max_unauthenticated_payload_bytes
                                : options_.max_dead_letter_payload_bytes;
  if (payload_bytes > keep || payload_bytes > request.body.size()) {
    attributes["payload_bytes"] = std::to_string(payload_bytes);
    attributes["payload_truncated"] = "true";
    if (request.body.size() > keep) request.body.resize(keep);
  }
  letter.set_payload(std::move(request.body));

  kafka::OutgoingRecord record;
  record.topic = topics_.dead_letters;
  record.key = bound.dead_letter_source;
  record.event_id = envelope->event_id();
  record.event_type = dead_letter_type_;
  // Left empty when serializing fails (a DeadLetter always has an envelope, so never empty
  // otherwise): answerAfterDeadLetter() answers 503 then.
  if (!letter.SerializeToString(&record.value)) record.value.clear();
  return record;
}

}  // namespace switchboard::connectors
