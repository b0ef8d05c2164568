// A consumer-group member over librdkafka's high-level consumer, with eager assignment
// (range, roundrobin: librdkafka 2.0.2 aborts when a cooperative-sticky consumer closes before
// its first assignment). Offsets are never auto-committed: the owner decides where each
// assigned partition starts (RebalanceListener) and commits once its work is durable.
// Single-threaded: poll, commit and close from the owner's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/kafka/kafka_settings.h"
#include "core/result.h"

namespace switchboard::kafka {

struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
};

// Where an assigned partition should start. kStoredOffset uses the group's committed offset.
struct StartPosition {
  TopicPartition tp;
  int64_t offset = RD_KAFKA_OFFSET_STORED;
};

class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // Called inside poll() before the partitions are fetched; returns their start offsets.
  virtual std::vector<StartPosition> onAssigned(const std::vector<TopicPartition>& partitions) = 0;
  // Called inside poll() before the partitions go to another member.
  virtual void onRevoked(const std::vector<TopicPartition>& partitions) = 0;
};

struct ConsumerOptions {
  std::string group_id;
  std::vector<std::string> topics;
  std::string client_id = "switchboard";
  std::map<std::string, std::string> overrides;
};

// Accessors for a consumed message.
std::string_view messageKey(const rd_kafka_message_t* m);
std::string_view messageValue(const rd_kafka_message_t* m);
std::string_view messageTopic(const rd_kafka_message_t* m);
std::optional<std::string_view> messageHeader(const rd_kafka_message_t* m, std::string_view name);

// Observes the errors consumers report in-band (rd_kafka_consumer_poll() events: broker down,
// unknown topic, authorization ...), for metrics. `client_id` is the consumer's client.id
// ("switchboard-<stage>" for stage consumers). Called on each consumer's polling thread, so
// implementations must be thread-safe. Errors are rare: a lock per call is fine.
class ConsumerErrorObserver {
 public:
  virtual ~ConsumerErrorObserver() = default;
  virtual void recordConsumeError(std::string_view client_id, rd_kafka_resp_err_t err) = 0;
};

// The process-wide observer of every Consumer (null: none). Set it before consumers poll and
// clear it (null) before the observer is destroyed; process-wide so that whoever owns the
// metrics needs no path to each stage runner's consumer.
void setConsumerErrorObserver(ConsumerErrorObserver* observer);

class Consumer {
 public:
  static Result<std::unique_ptr<Consumer>> create(const KafkaSettings& settings,
                                                  const ConsumerOptions& options,
                                                  RebalanceListener* listener);
  ~Consumer();

  // Appends up to `max` messages to `out`, waiting at most `timeout` for the first one.
  // Errors the consumer reports in-band (broker down, ...) are logged and passed to the
  // ConsumerErrorObserver, not returned.
  void pollBatch(std::vector<MessagePtr>& out, size_t max, std::chrono::milliseconds timeout);

  // Commits `offset` (the next offset to read) for each partition; `async` returns at once
  // and lets a later commit supersede a failed one.
  Status commit(const std::vector<StartPosition>& offsets, bool async = false);

  // Leaves the group (triggers onRevoked) and closes.
  void close();

  const std::vector<TopicPartition>& assignment() const { return assignment_; }
  rd_kafka_t* handle() { return rk_.get(); }

 private:
  Consumer(RebalanceListener* listener, std::string client_id)
      : listener_(listener), client_id_(std::move(client_id)) {}
  static void onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);

  HandlePtr rk_;
  RebalanceListener* listener_;
  std::string client_id_;
  std::vector<TopicPartition> assignment_;
  bool closed_ = false;
};

}  // namespace switchboard::kafka
