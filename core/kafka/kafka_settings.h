// How to reach Kafka: bootstrap servers plus librdkafka properties passed through verbatim
// (security.protocol, ssl.*, sasl.* ...), so that TLS and SASL need no code here. Secrets
// (sasl.password, ssl.key.password ...) can come from the environment
// (propertiesFromEnvironment()), so that they never appear on a command line.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace switchboard::kafka {

struct KafkaSettings {
  std::string brokers;
  // Extra librdkafka properties applied to every client, e.g. {"security.protocol", "SASL_SSL"}.
  std::map<std::string, std::string> properties;
  // Producers send one request at a time to each broker. Set for librdkafka's mock cluster
  // (app/kafka_setup.cc recognises it by its cluster id): it does not check idempotent
  // producers' sequence numbers, so with requests pipelined a batch can be appended after an
  // earlier one failed with a retriable error, and librdkafka then reports the earlier
  // batch delivered ("implicitly acked by subsequent batch success") although the broker
  // never stored it. A real broker refuses the later batch (OUT_OF_ORDER_SEQUENCE) instead.
  bool one_produce_request_in_flight = false;
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

// A client handle for metadata and admin requests only (client.id "switchboard-admin").
Result<HandlePtr> makeAdminClient(const KafkaSettings& settings);

// librdkafka properties named by environment variables, from an `environ`-style array
// (NAME=VALUE entries, null-terminated):
//   SWITCHBOARD_KAFKA_PROPERTY_<NAME>=V  property <NAME> lower-cased with '_' read as '.'
//                                        (..._SASL_PASSWORD → sasl.password; librdkafka
//                                        property names have no '_')
//   SWITCHBOARD_KAFKA_SASL_PASSWORD=V    shorthand for sasl.password
// The shorthand wins over the generic form. Unknown names are left to makeConf() to refuse.
std::map<std::string, std::string> propertiesFromEnvironment(const char* const* envp);

inline constexpr std::string_view kPropertyEnvPrefix = "SWITCHBOARD_KAFKA_PROPERTY_";
inline constexpr std::string_view kSaslPasswordEnv = "SWITCHBOARD_KAFKA_SASL_PASSWORD";

// Maps a librdkafka error to a project error; transient broker trouble is retryable.
Error kafkaError(rd_kafka_resp_err_t err, std::string_view context);

}  // namespace switchboard::kafka
