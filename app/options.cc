#include "app/options.h"

#include <cstdlib>
#include <sstream>

#include <unistd.h>

#include <yaml-cpp/yaml.h>

namespace switchboard::app {
namespace {

Status applyFile(const std::string& path, Options& o) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    return makeError(Errc::kConfig, "config " + path + ": " + e.what());
  }
  try {
    if (auto k = root["kafka"]) {
      if (k["brokers"]) o.kafka.brokers = k["brokers"].as<std::string>();
      if (k["partitions"]) {
        o.partitions = k["partitions"].as<int32_t>();
        if (o.partitions < 1 || o.partitions > 1000) {
          return makeError(Errc::kConfig, "config " + path + ": kafka.partitions must be 1..1000");
        }
      }
      if (k["topic_prefix"]) o.topic_prefix = k["topic_prefix"].as<std::string>();
      if (auto props = k["properties"]) {
        for (const auto& kv : props)
          o.kafka.properties[kv.first.as<std::string>()] = kv.second.as<std::string>();
      }
    }
    if (auto h = root["http"]) {
      if (h["address"]) o.http_address = h["address"].as<std::string>();
      if (h["port"]) o.http_port = h["port"].as<uint16_t>();
      if (h["max_body_bytes"]) o.max_body_bytes = h["max_body_bytes"].as<size_t>();
      if (h["max_header_fields"]) o.max_header_fields = h["max_header_fields"].as<size_t>();
      if (h["max_connections"]) o.http_max_connections = h["max_connections"].as<size_t>();
      if (h["max_inflight_requests"]) {
        o.max_inflight_requests = h["max_inflight_requests"].as<size_t>();
      }
      if (h["max_inflight_bytes"]) o.max_inflight_bytes = h["max_inflight_bytes"].as<size_t>();
      if (h["header_timeout"]) {
        o.http_header_timeout = std::chrono::seconds(h["header_timeout"].as<int64_t>());
      }
      if (h["read_timeout"]) {
        o.http_read_timeout = std::chrono::seconds(h["read_timeout"].as<int64_t>());
      }
      if (h["idle_timeout"]) {
        o.http_idle_timeout = std::chrono::seconds(h["idle_timeout"].as<int64_t>());
      }
      if (h["threads"]) {
        o.http_threads = h["threads"].as<int>();
        if (o.http_threads < 1 || o.http_threads > 64) {
          return makeError(Errc::kConfig, "config " + path + ": http.threads must be 1..64");
        }
      }
    }
    if (auto m = root["smtp"]) {
      if (m["address"]) o.smtp_address = m["address"].as<std::string>();
      if (m["port"]) o.smtp_port = m["port"].as<uint16_t>();
      if (m["lmtp"]) o.lmtp = m["lmtp"].as<bool>();
      if (m["max_message_bytes"]) o.smtp_max_message_bytes = m["max_message_bytes"].as<size_t>();
    }
    if (auto r = root["router"]) {
      if (r["state_dir"]) o.state_dir = r["state_dir"].as<std::string>();
      if (r["policy"]) o.policy_file = r["policy"].as<std::string>();
      if (r["policy_reload_interval"]) {
        o.policy_reload_interval = std::chrono::seconds(r["policy_reload_interval"].as<int64_t>());
      }
      if (r["group_prefix"]) o.group_prefix = r["group_prefix"].as<std::string>();
    }
  } catch (const std::exception& e) {
    return makeError(Errc::kConfig, "config " + path + ": " + e.what());
  }
  return okStatus();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

std::string usage() {
  return R"(usage: switchboard COMMAND [options]

Commands:
  up           everything in one process: embedded Kafka (unless --brokers), HTTP ingress and
               agent API, router stages, /metrics, /healthz, /readyz
  kafka        the embedded Kafka cluster alone, for several switchboard processes to share
  connectors   HTTP ingress only (needs --brokers)
  router       router stages and the agent API (needs --brokers); --stages picks which
  help         this text

Options:
  --brokers HOST:PORT[,...]   a real Kafka cluster (env SWITCHBOARD_BROKERS)
  --kafka-property K=V        librdkafka property for every client (TLS, SASL ...), repeatable
  --partitions N              partitions of created topics (default 6)
  --topic-prefix P            topic name prefix (default "switchboard.")
  --embedded-brokers N        brokers in the embedded cluster (default 1)
  --bootstrap-file PATH       write the embedded cluster's bootstrap address here
  --http-address A            listen address (default 0.0.0.0)
  --http-port N               listen port, 0 for any (default 8080)
  --max-body-bytes N          largest accepted request body (default 1048576; 413)
  --max-header-fields N       most header fields in one request (default 100; 431)
  --http-header-timeout S     request line and header must arrive within S seconds of the
                              request's first byte (default 10; 408), 0: no limit
  --http-read-timeout S       the whole request within S seconds of its first byte
                              (default 30; 408), 0: no limit
  --http-idle-timeout S       close a connection with no request under way after S seconds
                              (default 60), 0: never
  --http-threads N            HTTP I/O threads, 1..64 (default 2)
  --http-max-connections N    open HTTP connections; one more is answered 503 and closed
                              (default 2048; 0: no limit)
  --max-inflight-requests N   ingress back-pressure: accepted requests awaiting Kafka; more get
                              503 + Retry-After at once (default 1024; 0: no limit)
  --max-inflight-bytes N      ingress back-pressure: their record bytes (default 33554432;
                              0: no limit)
  --agent-api-insecure        run the agent API without SWITCHBOARD_AGENT_API_TOKEN (no
                              authentication: only behind a trusted edge); up and router
  --smtp-port N               accept mail by SMTP from a local MTA on this port (0: any;
                              default off; up and connectors only)
  --smtp-address A            SMTP listen address (default 127.0.0.1)
  --lmtp                      speak LMTP instead of SMTP on --smtp-port
  --smtp-max-message-bytes N  largest accepted mail, advertised as SIZE (default 26214400)
  --state-dir DIR             local state of router stages (default .switchboard/state)
  --stages a,b                router stages to run (default identity,context,dispatch)
  --policy FILE               routing policy (YAML, docs/routing-policy.md); default: the
                              built-in one (one pool of every agent, assign without offers)
  --policy-reload-interval S  how often to check the policy file for changes (default 2;
                              0: never reload)
  --group-prefix P            consumer group prefix (default "switchboard-")
  --fault-control             kafka only: serve the embedded cluster's fault injection on
                              --http-port (tests and chaos runs; never in production)
  --config FILE               YAML file with the same settings (see docs/configuration.md)
Environment: SWITCHBOARD_BROKERS, SWITCHBOARD_AGENT_API_TOKEN (required by up and router
             unless --agent-api-insecure), SWITCHBOARD_LOG=debug|info|warn|error,
             SWITCHBOARD_KAFKA_PROPERTY_<NAME> (librdkafka property, '.' written '_':
             SWITCHBOARD_KAFKA_PROPERTY_SSL_KEY_PASSWORD), SWITCHBOARD_KAFKA_SASL_PASSWORD
Connectors (each is on when its secret is set; chat is always on):
  SMS (Twilio)       SWITCHBOARD_TWILIO_AUTH_TOKEN, SWITCHBOARD_TWILIO_PUBLIC_URL
                     (the webhook URL exactly as configured at Twilio: it is signed)
  Meta               SWITCHBOARD_META_APP_SECRET, SWITCHBOARD_META_VERIFY_TOKEN
  Telegram           SWITCHBOARD_TELEGRAM_SECRET_TOKEN, SWITCHBOARD_TELEGRAM_BOT_ID (optional)
  X                  SWITCHBOARD_X_CONSUMER_SECRET
  Email (raw MIME)   SWITCHBOARD_EMAIL_INBOUND_TOKEN (Bearer or Basic password for
                     POST /v1/email/raw, Content-Type message/rfc822)
  SendGrid (Inbound  SWITCHBOARD_SENDGRID_BASIC_AUTH ("user:password", given to SendGrid in
   Parse)            the parse URL https://user:password@host/v1/email/sendgrid)
  Mailgun (routes)   SWITCHBOARD_MAILGUN_SIGNING_KEY (HTTP webhook signing key; forward() to
                     /v1/email/mailgun or /v1/email/mailgun/mime),
                     SWITCHBOARD_MAILGUN_TIMESTAMP_TOLERANCE (seconds, default 300)
  (attachments: raise --max-body-bytes, e.g. to 33554432, for the two providers)
)";
}

Result<Options> parseOptions(int argc, char** argv) {
  Options o;
  if (argc < 2) return makeError(Errc::kInvalidArgument, "missing COMMAND\n\n" + usage());
  o.command = argv[1];
  if (o.command == "-h" || o.command == "--help") o.command = "help";
  // A config file first, so that flags override it.
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--config") SB_RETURN_IF_ERROR(applyFile(argv[i + 1], o));
  }
  if (const char* b = std::getenv("SWITCHBOARD_BROKERS")) o.kafka.brokers = b;
  if (const char* t = std::getenv("SWITCHBOARD_AGENT_API_TOKEN")) o.agent_api_token = t;
  // Kafka secrets (sasl.password ...) from the environment, so they need no flag (visible in
  // ps) and no file; --kafka-property still overrides them below.
  for (auto& [name, value] : kafka::propertiesFromEnvironment(environ)) {
    o.kafka.properties[name] = std::move(value);
  }
  auto env = [](const char* name, std::string& into) {
    if (const char* v = std::getenv(name)) into = v;
  };
  env("SWITCHBOARD_TWILIO_AUTH_TOKEN", o.connectors.sms.auth_token);
  env("SWITCHBOARD_TWILIO_PUBLIC_URL", o.connectors.sms.public_url);
  env("SWITCHBOARD_META_APP_SECRET", o.connectors.meta.app_secret);
  env("SWITCHBOARD_META_VERIFY_TOKEN", o.connectors.meta.verify_token);
  env("SWITCHBOARD_TELEGRAM_SECRET_TOKEN", o.connectors.telegram.secret_token);
  env("SWITCHBOARD_TELEGRAM_BOT_ID", o.connectors.telegram.bot_id);
  env("SWITCHBOARD_X_CONSUMER_SECRET", o.connectors.x.consumer_secret);
  env("SWITCHBOARD_EMAIL_INBOUND_TOKEN", o.connectors.email.inbound_token);
  env("SWITCHBOARD_SENDGRID_BASIC_AUTH", o.connectors.sendgrid.basic_auth);
  env("SWITCHBOARD_MAILGUN_SIGNING_KEY", o.connectors.mailgun.signing_key);
  if (const char* t = std::getenv("SWITCHBOARD_MAILGUN_TIMESTAMP_TOLERANCE")) {
    const std::string_view text(t);
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != text.npos) {
      return makeError(Errc::kInvalidArgument,
                       "SWITCHBOARD_MAILGUN_TIMESTAMP_TOLERANCE must be a number of seconds");
    }
    o.connectors.mailgun.timestamp_tolerance = std::chrono::seconds(std::stoi(std::string(text)));
  }
  bool smtp_flag = false;
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= argc) return makeError(Errc::kInvalidArgument, flag + " needs a value");
      return std::string(argv[++i]);
    };
    auto number = [&]() -> Result<long long> {
      SB_ASSIGN_OR_RETURN(std::string v, value());
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n < 0) {
        return makeError(Errc::kInvalidArgument,
                         flag + " needs a non-negative number, got '" + v + "'");
      }
      return n;
    };
    if (flag == "--brokers") {
      SB_ASSIGN_OR_RETURN(o.kafka.brokers, value());
    } else if (flag == "--kafka-property") {
      SB_ASSIGN_OR_RETURN(std::string kv, value());
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        return makeError(Errc::kInvalidArgument,
                         "--kafka-property wants KEY=VALUE, got '" + kv + "'");
      }
      o.kafka.properties[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (flag == "--partitions") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      if (n < 1 || n > 1000)
        return makeError(Errc::kInvalidArgument, "--partitions must be 1..1000");
      o.partitions = static_cast<int32_t>(n);
    } else if (flag == "--topic-prefix") {
      SB_ASSIGN_OR_RETURN(o.topic_prefix, value());
    } else if (flag == "--embedded-brokers") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      if (n < 1 || n > 9)
        return makeError(Errc::kInvalidArgument, "--embedded-brokers must be 1..9");
      o.embedded_brokers = static_cast<int>(n);
    } else if (flag == "--bootstrap-file") {
      SB_ASSIGN_OR_RETURN(o.bootstrap_file, value());
    } else if (flag == "--http-address") {
      SB_ASSIGN_OR_RETURN(o.http_address, value());
    } else if (flag == "--http-port") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      if (n > 65535) return makeError(Errc::kInvalidArgument, "--http-port must be 0..65535");
      o.http_port = static_cast<uint16_t>(n);
    } else if (flag == "--http-threads") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      if (n < 1 || n > 64) return makeError(Errc::kInvalidArgument, "--http-threads must be 1..64");
      o.http_threads = static_cast<int>(n);
    } else if (flag == "--max-body-bytes") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      o.max_body_bytes = static_cast<size_t>(n);
    } else if (flag == "--http-max-connections") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      o.http_max_connections = static_cast<size_t>(n);
    } else if (flag == "--max-header-fields") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      o.max_header_fields = static_cast<size_t>(n);
    } else if (flag == "--http-header-timeout") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      o.http_header_timeout = std::chrono::seconds(n);
    } else if (flag == "--http-read-timeout") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      o.http_read_timeout = std::chrono::seconds(n);
    } else if (flag == "--http-idle-timeout") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      o.http_idle_timeout = std::chrono::seconds(n);
    } else if (flag == "--max-inflight-requests") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      o.max_inflight_requests = static_cast<size_t>(n);
    } else if (flag == "--max-inflight-bytes") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      o.max_inflight_bytes = static_cast<size_t>(n);
    } else if (flag == "--agent-api-insecure") {
      o.agent_api_insecure = true;
    } else if (flag == "--smtp-port") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      if (n > 65535) return makeError(Errc::kInvalidArgument, "--smtp-port must be 0..65535");
      o.smtp_port = static_cast<uint16_t>(n);
      smtp_flag = true;
    } else if (flag == "--smtp-address") {
      SB_ASSIGN_OR_RETURN(o.smtp_address, value());
    } else if (flag == "--fault-control") {
      o.fault_control = true;
    } else if (flag == "--lmtp") {
      o.lmtp = true;
    } else if (flag == "--smtp-max-message-bytes") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      if (n < 1) return makeError(Errc::kInvalidArgument, "--smtp-max-message-bytes must be > 0");
      o.smtp_max_message_bytes = static_cast<size_t>(n);
    } else if (flag == "--state-dir") {
      SB_ASSIGN_OR_RETURN(o.state_dir, value());
    } else if (flag == "--stages") {
      SB_ASSIGN_OR_RETURN(std::string v, value());
      o.stages = split(v, ',');
      for (const auto& s : o.stages) {
        if (s != "identity" && s != "context" && s != "dispatch") {
          return makeError(Errc::kInvalidArgument,
                           "unknown stage '" + s + "' (identity, context, dispatch)");
        }
      }
    } else if (flag == "--policy") {
      SB_ASSIGN_OR_RETURN(o.policy_file, value());
    } else if (flag == "--policy-reload-interval") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      if (n < 0) return makeError(Errc::kInvalidArgument, "--policy-reload-interval must be >= 0");
      o.policy_reload_interval = std::chrono::seconds(n);
    } else if (flag == "--group-prefix") {
      SB_ASSIGN_OR_RETURN(o.group_prefix, value());
    } else if (flag == "--config") {
      ++i;  // applied above
    } else {
      return makeError(Errc::kInvalidArgument, "unknown option '" + flag + "'\n\n" + usage());
    }
  }
  // One knob for both: the size the listener advertises and the one the connector enforces.
  o.connectors.smtp.limits.max_message_bytes = o.smtp_max_message_bytes;
  // A shared YAML file may name an SMTP port; only the flag is an error where nothing listens.
  if (smtp_flag && o.command != "up" && o.command != "connectors") {
    return makeError(Errc::kInvalidArgument,
                     "--smtp-port belongs to 'up' or 'connectors' (they run the ingress)");
  }
  if (o.fault_control && o.command != "kafka") {
    return makeError(Errc::kInvalidArgument,
                     "--fault-control belongs to 'kafka' (it drives the embedded cluster)");
  }
  // The agent API (up, router) takes presence and assignment decisions from whoever can reach
  // it: it does not start open by accident.
  if ((o.command == "up" || o.command == "router") && o.agent_api_token.empty() &&
      !o.agent_api_insecure) {
    return makeError(Errc::kInvalidArgument,
                     "'" + o.command +
                         "' serves the agent API, which needs a token: set "
                         "SWITCHBOARD_AGENT_API_TOKEN (clients send 'Authorization: Bearer "
                         "<token>'), or pass --agent-api-insecure to run it without "
                         "authentication behind a trusted network edge");
  }
  if ((o.command == "connectors" || o.command == "router") && o.kafka.brokers.empty()) {
    return makeError(Errc::kInvalidArgument,
                     "'" + o.command + "' needs --brokers (start one with 'switchboard kafka')");
  }
  return o;
}

}  // namespace switchboard::app
