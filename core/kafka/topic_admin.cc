#include "core/kafka/topic_admin.h"

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
  SB_ASSIGN_OR_RETURN(ConfPtr conf, makeConf(settings, {{"client.id", "switchboard-admin"}}));
  char errstr[512];
  HandlePtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr));
  if (!rk) return makeError(Errc::kConfig, std::string("kafka admin: ") + errstr);
  conf.release();

  std::unique_ptr<rd_kafka_NewTopic_t*, NewTopicsDeleter> new_topics(
      new rd_kafka_NewTopic_t* [topics.size()], NewTopicsDeleter { 0 });
  for (const auto& t : topics) {
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
  rd_kafka_CreateTopics(rk.get(), new_topics.get(), topics.size(), options, queue);
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
