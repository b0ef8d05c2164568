// How to reach Kafka: bootstrap servers plus librdkafka properties passed through verbatim
// (security.protocol, ssl.*, sasl.* ...), so that TLS and SASL need no code here.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "core/result.h"

namespace switchboard::kafka {

struct KafkaSettings {
  std::string brokers;
  // Extra librdkafka properties applied to every client, e.g. {"security.protocol", "SASL_SSL"}.
  std::map<std::string, std::string> properties;
};

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

// Builds a librdkafka configuration from the settings, then `overrides` (component defaults
// that the operator's properties may not change are applied last).
Result<ConfPtr> makeConf(const KafkaSettings& settings,
                         const std::map<std::string, std::string>& defaults,
                         const std::map<std::string, std::string>& overrides = {});

// Maps a librdkafka error to a project error; transient broker trouble is retryable.
Error kafkaError(rd_kafka_resp_err_t err, std::string_view context);

}  // namespace switchboard::kafka
