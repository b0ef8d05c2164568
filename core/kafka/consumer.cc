#include "core/kafka/consumer.h"

#include <atomic>
#include <cstring>

#include "core/log.h"

namespace switchboard::kafka {
namespace {

std::atomic<ConsumerErrorObserver*> g_error_observer{nullptr};

}  // namespace

void setConsumerErrorObserver(ConsumerErrorObserver* observer) {
  g_error_observer.store(observer);
}

std::string_view messageKey(const rd_kafka_message_t* m) {
  return m->key ? std::string_view(static_cast<const char*>(m->key), m->key_len)
                : std::string_view();
}

std::string_view messageValue(const rd_kafka_message_t* m) {
  return m->payload ? std::string_view(static_cast<const char*>(m->payload), m->len)
                    : std::string_view();
}

std::string_view messageTopic(const rd_kafka_message_t* m) {
  return rd_kafka_topic_name(m->rkt);
}

std::optional<std::string_view> messageHeader(const rd_kafka_message_t* m, std::string_view name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  std::string wanted(name);
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, wanted.c_str(), &value, &size) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  return std::string_view(static_cast<const char*>(value), size);
}

Result<std::unique_ptr<Consumer>> Consumer::create(const KafkaSettings& settings,
                                                   const ConsumerOptions& options,
                                                   RebalanceListener* listener) {
  std::map<std::string, std::string> defaults = {
      {"client.id", options.client_id},  {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "1000"}, {"fetch.wait.max.ms", "50"},
      {"auto.offset.reset", "earliest"},
  };
  std::map<std::string, std::string> fixed = options.overrides;
  fixed["group.id"] = options.group_id;
  fixed["enable.auto.commit"] = "false";
  fixed["enable.auto.offset.store"] = "false";
  fixed["partition.assignment.strategy"] = "range,roundrobin";
  SB_ASSIGN_OR_RETURN(ConfPtr conf, makeConf(settings, defaults, fixed));
  std::unique_ptr<Consumer> consumer(new Consumer(listener, options.client_id));
  rd_kafka_conf_set_opaque(conf.get(), consumer.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::onRebalance);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) return makeError(Errc::kConfig, std::string("kafka consumer: ") + errstr);
  conf.release();
  consumer->rk_.reset(rk);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics =
      rd_kafka_topic_partition_list_new(static_cast<int>(options.topics.size()));
  for (const auto& t : options.topics) {
    rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafkaError(err, "subscribe");
  return consumer;
}

Consumer::~Consumer() {
  close();
}

void Consumer::onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  std::vector<TopicPartition> tps;
  tps.reserve(partitions->cnt);
  for (int i = 0; i < partitions->cnt; ++i) {
    tps.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
  }
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::vector<StartPosition> starts =
        self->listener_ ? self->listener_->onAssigned(tps) : std::vector<StartPosition>{};
    for (const auto& start : starts) {
      rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_find(
          partitions, start.tp.topic.c_str(), start.tp.partition);
      if (tp != nullptr) tp->offset = start.offset;
    }
    rd_kafka_assign(rk, partitions);
    self->assignment_ = std::move(tps);
  } else {
    if (self->listener_) self->listener_->onRevoked(tps);
    rd_kafka_assign(rk, nullptr);
    self->assignment_.clear();
  }
}

void Consumer::pollBatch(std::vector<MessagePtr>& out, size_t max,
                         std::chrono::milliseconds timeout) {
  int wait_ms = static_cast<int>(timeout.count());
  while (out.size() < max) {
    MessagePtr m(rd_kafka_consumer_poll(rk_.get(), wait_ms));
    if (!m) return;
    wait_ms = 0;  // only the first message is waited for; then take what is buffered
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.push_back(std::move(m));
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      log::warn("kafka.consumer", rd_kafka_message_errstr(m.get()));
      if (ConsumerErrorObserver* observer = g_error_observer.load()) {
        observer->recordConsumeError(client_id_, m->err);
      }
    }
  }
}

Status Consumer::commit(const std::vector<StartPosition>& offsets, bool async) {
  if (offsets.empty()) return okStatus();
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& o : offsets) {
    rd_kafka_topic_partition_list_add(list, o.tp.topic.c_str(), o.tp.partition)->offset = o.offset;
  }
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), list, async ? 1 : 0);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafkaError(err, "commit");
  return okStatus();
}

void Consumer::close() {
  if (closed_ || !rk_) return;
  closed_ = true;
  rd_kafka_consumer_close(rk_.get());
}

}  // namespace switchboard::kafka
