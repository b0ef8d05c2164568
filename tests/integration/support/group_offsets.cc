#include "tests/integration/support/group_offsets.h"

#include <stdexcept>

#include "core/kafka/partition_reader.h"

namespace switchboard::testing {

int64_t groupLag(const kafka::KafkaSettings& settings, const std::string& group,
                 const std::string& topic, int32_t partitions) {
  auto conf = kafka::makeConf(settings, {}, {{"group.id", group}, {"enable.auto.commit", "false"}});
  if (!conf) throw std::runtime_error(conf.error().describe());
  char errstr[512];
  kafka::HandlePtr rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof errstr));
  if (!rk) throw std::runtime_error(errstr);
  conf->release();
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  rd_kafka_resp_err_t err = rd_kafka_committed(rk.get(), list, 10000);
  int64_t lag = 0;
  for (int32_t p = 0; p < partitions && err == RD_KAFKA_RESP_ERR_NO_ERROR; ++p) {
    int64_t low = 0, high = 0;
    rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &low, &high, 10000);
    int64_t committed = list->elems[p].offset;
    lag += high - (committed >= 0 ? committed : low);
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return -1;
  return lag;
}

}  // namespace switchboard::testing
