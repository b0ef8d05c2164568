#include "tests/integration/support/topic_contents.h"

#include <stdexcept>

#include "core/kafka/partition_reader.h"
#include "core/kafka/record.h"

namespace switchboard::testing {

std::vector<TopicRecord> readTopic(const kafka::KafkaSettings& settings, const std::string& topic,
                                   int32_t partitions) {
  auto reader = kafka::PartitionReader::create(settings);
  if (!reader) throw std::runtime_error(reader.error().describe());
  std::vector<TopicRecord> out;
  for (int32_t p = 0; p < partitions; ++p) {
    auto status = (*reader)->readToEnd(
        topic, p, 0,
        [&](const rd_kafka_message_t& m) -> Status {
          TopicRecord r;
          r.partition = p;
          r.offset = m.offset;
          r.key = std::string(kafka::messageKey(&m));
          r.value = std::string(kafka::messageValue(&m));
          r.event_id = std::string(kafka::messageHeader(&m, kafka::kIdHeader).value_or(""));
          r.event_type = std::string(kafka::messageHeader(&m, kafka::kTypeHeader).value_or(""));
          out.push_back(std::move(r));
          return okStatus();
        },
        std::chrono::seconds(20));
    if (!status) throw std::runtime_error(status.error().describe());
  }
  return out;
}

}  // namespace switchboard::testing
