#include "core/kafka/topic_admin.h"

#include <map>
#include <memory>
#include <string>

#include "core/log.h"

namespace switchboard::kafka {
namespace {

struct NewTopicsDeleter {
  size_t count;
  void operator()(rd_kafka_NewTopic_t** topics) const {
    rd_kafka_NewTopic_destroy_array(topics, count);
    delete[] topics;
  }
};

}  // namespace

Status ensureTopics(const KafkaSettings& settings, const std::vector<TopicSpec>& topics,
                    std::chrono::milliseconds timeout) {
  SB_ASSIGN_OR_RETURN(HandlePtr rk, makeAdminClient(settings));
  char errstr[512];

  // Only missing topics are created: existing ones are checked, never altered. (This also
  // lets a process join an embedded cluster, which has no CreateTopics API.)
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t md_err =
      rd_kafka_metadata(rk.get(), 1, nullptr, &md, static_cast<int>(timeout.count()));
  if (md_err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafkaError(md_err, "cluster metadata");
  std::map<std::string, int> existing;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      existing[md->topics[i].topic] = md->topics[i].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(md);
  std::vector<const TopicSpec*> missing;
  for (const auto& t : topics) {
    auto it = existing.find(t.name);
    if (it == existing.end()) {
      missing.push_back(&t);
    } else if (it->second != t.partitions) {
      log::warn("kafka.admin", "topic " + t.name + " has " + std::to_string(it->second) +
                                   " partitions, configured " + std::to_string(t.partitions) +
                                   "; co-partitioned topics must agree");
    }
  }
  if (missing.empty()) return okStatus();

  std::unique_ptr<rd_kafka_NewTopic_t*, NewTopicsDeleter> new_topics(
      new rd_kafka_NewTopic_t* [missing.size()], NewTopicsDeleter { 0 });
  for (const TopicSpec* spec : missing) {
    const TopicSpec& t = *spec;
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions,
                                                    t.replication_factor, errstr, sizeof errstr);
    if (nt == nullptr) return makeError(Errc::kConfig, "topic " + t.name + ": " + errstr);
    for (const auto& [name, value] : t.configs) {
      rd_kafka_NewTopic_set_config(nt, name.c_str(), value.c_str());
    }
    new_topics.get()[new_topics.get_deleter().count++] = nt;
  }

  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout.count()), errstr,
                                              sizeof errstr);
  rd_kafka_CreateTopics(rk.get(), new_topics.get(), missing.size(), options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 5000);
  Status status = okStatus();
  if (event == nullptr) {
    status = makeError(Errc::kTimeout, "create topics: no answer from the cluster");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = makeError(Errc::kUnavailable,
                       std::string("create topics: ") + rd_kafka_event_error_string(event));
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    for (size_t i = 0; i < count; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        status = makeError(Errc::kUnavailable, std::string("create topic ") +
                                                   rd_kafka_topic_result_name(results[i]) + ": " +
                                                   rd_kafka_topic_result_error_string(results[i]));
        break;
      }
      log::info("kafka.admin",
                std::string("created topic ") + rd_kafka_topic_result_name(results[i]));
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  return status;
}

}  // namespace switchboard::kafka
