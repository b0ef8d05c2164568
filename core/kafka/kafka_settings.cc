#include "core/kafka/kafka_settings.h"

#include <cctype>
#include <optional>
#include <string>

namespace switchboard::kafka {
namespace {

Status setAll(rd_kafka_conf_t* conf, const std::map<std::string, std::string>& props) {
  char errstr[512];
  for (const auto& [name, value] : props) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return makeError(Errc::kConfig, "kafka property " + name + ": " + errstr);
    }
  }
  return okStatus();
}

}  // namespace

Result<ConfPtr> makeConf(const KafkaSettings& settings,
                         const std::map<std::string, std::string>& defaults,
                         const std::map<std::string, std::string>& overrides) {
  ConfPtr conf(rd_kafka_conf_new());
  SB_RETURN_IF_ERROR(setAll(conf.get(), defaults));
  SB_RETURN_IF_ERROR(setAll(conf.get(), settings.properties));
  if (!settings.brokers.empty()) {
    SB_RETURN_IF_ERROR(setAll(conf.get(), {{"bootstrap.servers", settings.brokers}}));
  }
  SB_RETURN_IF_ERROR(setAll(conf.get(), overrides));
  return conf;
}

Result<HandlePtr> makeAdminClient(const KafkaSettings& settings) {
  SB_ASSIGN_OR_RETURN(ConfPtr conf, makeConf(settings, {{"client.id", "switchboard-admin"}}));
  char errstr[512];
  HandlePtr rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr));
  if (!rk) return makeError(Errc::kConfig, std::string("kafka admin: ") + errstr);
  conf.release();  // owned by rk now
  return rk;
}

std::map<std::string, std::string> propertiesFromEnvironment(const char* const* envp) {
  std::map<std::string, std::string> properties;
  std::optional<std::string> sasl_password;
  for (const char* const* entry = envp; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = text.substr(0, eq);
    const std::string_view value = text.substr(eq + 1);
    if (name == kSaslPasswordEnv) {
      sasl_password = std::string(value);
    } else if (name.starts_with(kPropertyEnvPrefix) && name.size() > kPropertyEnvPrefix.size()) {
      std::string property(name.substr(kPropertyEnvPrefix.size()));
      for (char& c : property) {
        c = c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      properties[property] = std::string(value);
    }
  }
  if (sasl_password) properties["sasl.password"] = std::move(*sasl_password);
  return properties;
}

Error kafkaError(rd_kafka_resp_err_t err, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += rd_kafka_err2str(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR__QUEUE_FULL: return makeError(Errc::kBackPressure, std::move(message));
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT: return makeError(Errc::kTimeout, std::move(message));
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return makeError(Errc::kTooLarge, std::move(message));
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return makeError(Errc::kInvalidArgument, std::move(message));
    case RD_KAFKA_RESP_ERR__FATAL: return makeError(Errc::kInternal, std::move(message));
    default: return makeError(Errc::kUnavailable, std::move(message));
  }
}

}  // namespace switchboard::kafka
