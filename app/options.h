// Command-line options of the switchboard executable, with defaults, an optional YAML file
// (--config) and environment variables for secrets. Precedence: flag > environment > file >
// default. Start-up errors come back as values for main() to print.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/register_all.h"
#include "core/kafka/kafka_settings.h"
#include "core/result.h"
#include "core/topics.h"

namespace switchboard::app {

struct Options {
  std::string command;  // up | kafka | connectors | router | help

  // Kafka. Empty brokers: start the embedded cluster (up, kafka).
  kafka::KafkaSettings kafka;
  int32_t partitions = 6;
  std::string topic_prefix = "switchboard.";
  int embedded_brokers = 1;
  std::string bootstrap_file;  // where `kafka`/`up` write the embedded bootstrap address
  // `kafka` only: serve the mock cluster's fault injection over HTTP (tests, chaos runs).
  bool fault_control = false;

  // HTTP (ingress, agent API, /metrics, probes).
  std::string http_address = "0.0.0.0";
  uint16_t http_port = 8080;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_fields = 100;
  size_t http_max_connections = 2048;  // open HTTP connections; one more gets 503 and is closed
  std::chrono::seconds http_header_timeout{10};  // request line + header, from the first byte
  std::chrono::seconds http_read_timeout{30};    // the whole request, from the first byte
  std::chrono::seconds http_idle_timeout{60};    // a connection with no request under way
  int http_threads = 2;  // I/O threads of the HTTP server, each with its own connections
  // Ingress back-pressure: accepted requests awaiting Kafka, and their record bytes.
  size_t max_inflight_requests = 1024;
  size_t max_inflight_bytes = 32 << 20;
  std::string agent_api_token;  // SWITCHBOARD_AGENT_API_TOKEN
  // Run the agent API without a token (--agent-api-insecure): otherwise `up` and `router`
  // refuse to start without SWITCHBOARD_AGENT_API_TOKEN.
  bool agent_api_insecure = false;
  // SMTP/LMTP ingress for a local MTA (off unless a port is given; `up` and `connectors`).
  std::optional<uint16_t> smtp_port;  // 0: any free port
  std::string smtp_address = "127.0.0.1";
  bool lmtp = false;  // speak LMTP (RFC 2033) instead of SMTP on smtp_port
  size_t smtp_max_message_bytes = 25 << 20;
  // Connector settings; secrets only from the environment (see usage()).
  connectors::ConnectorSettings connectors;

  // Router.
  std::string state_dir = ".switchboard/state";
  std::vector<std::string> stages = {"identity", "context", "dispatch"};
  // Routing policy file; empty: the built-in policy (policy::defaultPolicy()).
  std::string policy_file;
  // How often the policy file is checked for changes; 0: loaded once.
  std::chrono::seconds policy_reload_interval{2};
  std::string group_prefix = "switchboard-";

  Topics topics() const { return Topics::withPrefix(topic_prefix); }
};

Result<Options> parseOptions(int argc, char** argv);
std::string usage();

}  // namespace switchboard::app
