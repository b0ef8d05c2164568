#include "core/kafka/mock_faults.h"

#include <array>
#include <string>
#include <utility>

namespace switchboard::kafka {
namespace {

// Kafka protocol API keys (KIP numbering, stable across versions).
constexpr std::array<std::pair<std::string_view, int16_t>, 12> kApis{{
    {"produce", 0},
    {"fetch", 1},
    {"list_offsets", 2},
    {"metadata", 3},
    {"offset_commit", 8},
    {"offset_fetch", 9},
    {"find_coordinator", 10},
    {"join_group", 11},
    {"heartbeat", 12},
    {"leave_group", 13},
    {"sync_group", 14},
    {"init_producer_id", 22},
}};

Status mockStatus(rd_kafka_resp_err_t err, std::string_view what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return okStatus();
  return makeError(Errc::kInvalidArgument, std::string(what) + ": " + rd_kafka_err2str(err));
}

}  // namespace

const std::vector<std::string_view>& faultableApiNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& [name, key] : kApis) v.push_back(name);
    return v;
  }();
  return names;
}

Result<int16_t> apiKeyByName(std::string_view name) {
  for (const auto& [known, key] : kApis) {
    if (known == name) return key;
  }
  std::string list;
  for (auto n : faultableApiNames()) list += (list.empty() ? "" : ", ") + std::string(n);
  return makeError(Errc::kInvalidArgument,
                   "unknown Kafka API '" + std::string(name) + "' (one of: " + list + ")");
}

Result<rd_kafka_resp_err_t> brokerErrorByName(std::string_view name) {
  constexpr std::string_view kPrefix = "RD_KAFKA_RESP_ERR_";
  if (name.substr(0, kPrefix.size()) == kPrefix) name.remove_prefix(kPrefix.size());
  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  for (size_t i = 0; i < count; ++i) {
    if (descs[i].code > 0 && descs[i].name != nullptr && name == descs[i].name) {
      return descs[i].code;
    }
  }
  return makeError(Errc::kInvalidArgument, "unknown Kafka broker error '" + std::string(name) +
                                               "' (e.g. NOT_LEADER_FOR_PARTITION)");
}

Status MockFaults::failRequests(int16_t api_key, rd_kafka_resp_err_t error, int count) {
  if (count < 1 || count > 10000) {
    return makeError(Errc::kInvalidArgument, "count must be 1..10000");
  }
  std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(count), error);
  rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
  return okStatus();
}

Status MockFaults::clearRequestErrors() {
  for (const auto& [name, key] : kApis) rd_kafka_mock_clear_request_errors(cluster_, key);
  return okStatus();
}

Status MockFaults::setBrokerDown(int32_t broker_id, bool down) {
  return mockStatus(down ? rd_kafka_mock_broker_set_down(cluster_, broker_id)
                         : rd_kafka_mock_broker_set_up(cluster_, broker_id),
                    "broker " + std::to_string(broker_id));
}

Status MockFaults::setBrokerRtt(int32_t broker_id, int milliseconds) {
  if (milliseconds < 0 || milliseconds > 60000) {
    return makeError(Errc::kInvalidArgument, "rtt must be 0..60000 ms");
  }
  return mockStatus(rd_kafka_mock_broker_set_rtt(cluster_, broker_id, milliseconds),
                    "broker " + std::to_string(broker_id));
}

}  // namespace switchboard::kafka
