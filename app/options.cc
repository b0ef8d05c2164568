#include "app/options.h"

#include <cstdlib>
#include <sstream>

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
  --max-body-bytes N          largest accepted request body (default 1048576)
  --http-threads N            HTTP I/O threads, 1..64 (default 2)
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
  --config FILE               YAML file with the same settings (see docs/configuration.md)
Environment: SWITCHBOARD_BROKERS, SWITCHBOARD_AGENT_API_TOKEN,
             SWITCHBOARD_LOG=debug|info|warn|error
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
    } else if (flag == "--smtp-port") {
      SB_ASSIGN_OR_RETURN(long long n, number());
      if (n > 65535) return makeError(Errc::kInvalidArgument, "--smtp-port must be 0..65535");
      o.smtp_port = static_cast<uint16_t>(n);
      smtp_flag = true;
    } else if (flag == "--smtp-address") {
      SB_ASSIGN_OR_RETURN(o.smtp_address, value());
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
  if ((o.command == "connectors" || o.command == "router") && o.kafka.brokers.empty()) {
    return makeError(Errc::kInvalidArgument,
                     "'" + o.command + "' needs --brokers (start one with 'switchboard kafka')");
  }
  return o;
}

}  // namespace switchboard::app
