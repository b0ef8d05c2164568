// Idempotent Kafka producer (enable.idempotence, acks=all) shared by every component of a
// process. produce() never blocks: it enqueues and returns; the outcome reaches the caller's
// DeliveryListener on the producer's poll thread once the broker acknowledged the record or
// librdkafka gave up (message.timeout.ms). Callers must not block inside onDelivered().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "core/kafka/kafka_settings.h"
#include "core/kafka/record.h"
#include "core/result.h"

namespace switchboard::kafka {

struct DeliveryReport {
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  int32_t partition = -1;
  int64_t offset = -1;
  bool ok() const { return err == RD_KAFKA_RESP_ERR_NO_ERROR; }
};

class DeliveryListener {
 public:
  virtual ~DeliveryListener() = default;
  virtual void onDelivered(const DeliveryReport& report) = 0;
};

// Observes produce outcomes for metrics; called on the poll thread.
class ProducerObserver {
 public:
  virtual ~ProducerObserver() = default;
  virtual void recordDelivered(std::string_view topic, std::chrono::microseconds latency,
                               bool ok) = 0;
};

struct ProducerOptions {
  // How long librdkafka keeps retrying before a record fails (message.timeout.ms).
  std::chrono::milliseconds delivery_timeout{30000};
  // Small by default: every ingress answer waits for its delivery report, so linger adds to
  // each request's latency; under load librdkafka batches anyway (5 requests in flight).
  std::chrono::milliseconds linger{0};
  // Records are small protobufs: compressing the small batches costs the broker thread more
  // than it saves. The operator's properties (compression.type, linger.ms) override both.
  std::string compression = "none";
  std::string client_id = "switchboard";
  // librdkafka's local queue of records not yet acknowledged (queue.buffering.max.kbytes and
  // .messages): beyond it produce() fails at once with kBackPressure instead of buffering. The
  // ingress host keeps its own, smaller in-flight limit (ingress_host.h) in front of this one,
  // which bounds everything else sharing the producer (router stages, dead letters). librdkafka
  // would allow 1 GiB; operator properties override both.
  size_t queue_max_kbytes = 128 << 10;
  size_t queue_max_messages = 200000;
  std::map<std::string, std::string> overrides;
};

class Producer {
 public:
  static Result<std::unique_ptr<Producer>> create(const KafkaSettings& settings,
                                                  const ProducerOptions& options,
                                                  ProducerObserver* observer = nullptr);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Enqueues the record. On success exactly one onDelivered() call follows; on failure none.
  Status produce(const OutgoingRecord& record, DeliveryListener* listener);

  // Waits for every enqueued record's outcome, up to `timeout`.
  Status flush(std::chrono::milliseconds timeout);

  // Number of partitions of `topic`, from cluster metadata.
  Result<int32_t> partitionCount(const std::string& topic, std::chrono::milliseconds timeout);

  // The partition the producer's default partitioner picks for `key` (murmur2, like Java).
  static int32_t partitionForKey(std::string_view key, int32_t partition_count);

  rd_kafka_t* handle() { return rk_.get(); }

 private:
  explicit Producer(ProducerObserver* observer);
  static void onDeliveryReport(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  void pollLoop();

  struct InFlight;
  HandlePtr rk_;
  ProducerObserver* observer_;
  std::atomic<bool> stopping_{false};
  std::thread poller_;
};

}  // namespace switchboard::kafka
