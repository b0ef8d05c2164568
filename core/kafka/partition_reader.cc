#include "core/kafka/partition_reader.h"

namespace switchboard::kafka {

Result<std::unique_ptr<PartitionReader>> PartitionReader::create(const KafkaSettings& settings) {
  SB_ASSIGN_OR_RETURN(
      ConfPtr conf,
      makeConf(settings, {{"client.id", "switchboard-reader"}, {"fetch.wait.max.ms", "20"}},
               {{"group.id", "switchboard-partition-reader"},
                {"enable.auto.commit", "false"},
                {"enable.partition.eof", "true"}}));
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) return makeError(Errc::kConfig, std::string("kafka reader: ") + errstr);
  conf.release();
  rd_kafka_poll_set_consumer(rk);
  auto reader = std::make_unique<PartitionReader>();
  reader->rk_.reset(rk);
  return reader;
}

Result<Watermarks> PartitionReader::watermarks(const std::string& topic, int32_t partition,
                                               std::chrono::milliseconds timeout) {
  Watermarks w;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      rk_.get(), topic.c_str(), partition, &w.low, &w.high, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return kafkaError(err, "watermarks of " + topic + "/" + std::to_string(partition));
  }
  return w;
}

Status PartitionReader::readToEnd(const std::string& topic, int32_t partition, int64_t from,
                                  const std::function<Status(const rd_kafka_message_t&)>& visit,
                                  std::chrono::milliseconds timeout) {
  SB_ASSIGN_OR_RETURN(Watermarks w, watermarks(topic, partition, timeout));
  int64_t start = std::max(from, w.low);
  if (start >= w.high) return okStatus();

  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = start;
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafkaError(err, "assign " + topic);

  Status status = okStatus();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int64_t next = start;
  while (next < w.high) {
    if (std::chrono::steady_clock::now() > deadline) {
      status = makeError(Errc::kTimeout, "reading " + topic + "/" + std::to_string(partition) +
                                             " stopped at offset " + std::to_string(next) + " of " +
                                             std::to_string(w.high));
      break;
    }
    MessagePtr m(rd_kafka_consumer_poll(rk_.get(), 100));
    if (!m) continue;
    // A record or end-of-partition event of an earlier assignment of this reader can still be
    // queued: another partition's EOF must not end this read early.
    if (m->rkt != nullptr && (m->partition != partition || topic != rd_kafka_topic_name(m->rkt))) {
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // The broker dropped records or the end moved below what we asked: nothing more to read.
      if (m->offset >= next) break;
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        status = kafkaError(m->err, "reading " + topic);
        break;
      }
      continue;  // transient; the consumer retries by itself
    }
    if (m->offset < next) continue;
    next = m->offset + 1;
    status = visit(*m);
    if (!status) break;
  }
  rd_kafka_assign(rk_.get(), nullptr);
  return status;
}

}  // namespace switchboard::kafka
