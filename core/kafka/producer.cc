#include "core/kafka/producer.h"

#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/log.h"

namespace switchboard::kafka {

// Carried as the message opaque: who to tell, and when the record was enqueued.
struct Producer::InFlight {
  DeliveryListener* listener;
  std::chrono::steady_clock::time_point enqueued;
};

Result<std::unique_ptr<Producer>> Producer::create(const KafkaSettings& settings,
                                                   const ProducerOptions& options,
                                                   ProducerObserver* observer) {
  std::map<std::string, std::string> defaults = {
      {"client.id", options.client_id},
      {"linger.ms", std::to_string(options.linger.count())},
      {"partitioner", "murmur2_random"},
      {"compression.type", options.compression},
      {"queue.buffering.max.messages", std::to_string(options.queue_max_messages)},
      {"queue.buffering.max.kbytes", std::to_string(options.queue_max_kbytes)},
  };
  // Durability guarantees are not the operator's to weaken: applied last.
  std::map<std::string, std::string> fixed = options.overrides;
  fixed["enable.idempotence"] = "true";
  fixed["acks"] = "all";
  fixed["message.timeout.ms"] = std::to_string(options.delivery_timeout.count());
  if (settings.one_produce_request_in_flight) {
    fixed["max.in.flight.requests.per.connection"] = "1";
  }
  SB_ASSIGN_OR_RETURN(ConfPtr conf, makeConf(settings, defaults, fixed));
  std::unique_ptr<Producer> producer(new Producer(observer));
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::onDeliveryReport);
  rd_kafka_conf_set_opaque(conf.get(), producer.get());
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) return makeError(Errc::kConfig, std::string("kafka producer: ") + errstr);
  conf.release();  // owned by rk now
  producer->rk_.reset(rk);
  producer->poller_ = std::thread([p = producer.get()] { p->pollLoop(); });
  return producer;
}

Producer::Producer(ProducerObserver* observer) : observer_(observer) {}

Producer::~Producer() {
  // Give in-flight records their outcome before the handle goes away.
  rd_kafka_flush(rk_.get(), 10000);
  stopping_.store(true);
  if (poller_.joinable()) poller_.join();
  rd_kafka_poll(rk_.get(), 0);
}

void Producer::pollLoop() {
  while (!stopping_.load(std::memory_order_relaxed)) rd_kafka_poll(rk_.get(), 50);
}

void Producer::onDeliveryReport(rd_kafka_t* rk, const rd_kafka_message_t* msg, void*) {
  auto* self = static_cast<Producer*>(rd_kafka_opaque(rk));
  std::unique_ptr<InFlight> inflight(static_cast<InFlight*>(msg->_private));
  if (self != nullptr && self->observer_ != nullptr && inflight) {
    auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - inflight->enqueued);
    self->observer_->recordDelivered(rd_kafka_topic_name(msg->rkt), latency,
                                     msg->err == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  if (inflight && inflight->listener != nullptr) {
    inflight->listener->onDelivered(DeliveryReport{msg->err, msg->partition, msg->offset});
  }
}

Status Producer::produce(const OutgoingRecord& record, DeliveryListener* listener) {
  auto inflight = std::make_unique<InFlight>(InFlight{listener, std::chrono::steady_clock::now()});
  rd_kafka_headers_t* headers = rd_kafka_headers_new(2);
  if (!record.event_id.empty()) {
    rd_kafka_header_add(headers, kIdHeader.data(), kIdHeader.size(), record.event_id.data(),
                        record.event_id.size());
  }
  if (!record.event_type.empty()) {
    rd_kafka_header_add(headers, kTypeHeader.data(), kTypeHeader.size(), record.event_type.data(),
                        record.event_type.size());
  }
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk_.get(), RD_KAFKA_V_TOPIC(record.topic.c_str()), RD_KAFKA_V_PARTITION(record.partition),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(const_cast<char*>(record.key.data()), record.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(inflight.get()), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);
    return kafkaError(err, "produce to " + record.topic);
  }
  inflight.release();  // reclaimed in onDeliveryReport
  return okStatus();
}

Status Producer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafkaError(err, "flush");
  return okStatus();
}

Result<int32_t> Producer::partitionCount(const std::string& topic,
                                         std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk_.get(), 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafkaError(err, "metadata for " + topic);
  int32_t count = 0;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (md->topic_cnt == 1) {
    count = md->topics[0].partition_cnt;
    topic_err = md->topics[0].err;
  }
  rd_kafka_metadata_destroy(md);
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafkaError(topic_err, "topic " + topic);
  if (count <= 0) return makeError(Errc::kNotFound, "topic " + topic + " has no partitions");
  return count;
}

int32_t Producer::partitionForKey(std::string_view key, int32_t partition_count) {
  return rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partition_count, nullptr,
                                          nullptr);
}

}  // namespace switchboard::kafka
