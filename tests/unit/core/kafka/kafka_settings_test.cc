// The librdkafka configuration Switchboard builds: operator properties (TLS, SASL) reach
// librdkafka verbatim, secrets can come from the environment, and the producer's own limits
// (the local queue bound behind ingress back-pressure) are set unless the operator overrides
// them.
#include "core/kafka/kafka_settings.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/kafka/producer.h"

namespace switchboard::kafka {
namespace {

// A property as librdkafka holds it, or "<unset>".
std::string confValue(const rd_kafka_conf_t* conf, const char* name) {
  char value[1024];
  size_t size = sizeof value;
  if (rd_kafka_conf_get(conf, name, value, &size) != RD_KAFKA_CONF_OK) return "<unset>";
  return std::string(value);
}

// A readable CA bundle: librdkafka loads ssl.ca.location when the client is created.
constexpr const char* kCaBundle = "/etc/ssl/certs/ca-certificates.crt";

KafkaSettings saslSslSettings() {
  KafkaSettings settings;
  settings.brokers = "kafka-0.example:9093";
  settings.properties = {{"security.protocol", "SASL_SSL"},
                         {"ssl.ca.location", kCaBundle},
                         {"sasl.mechanism", "SCRAM-SHA-512"},
                         {"sasl.username", "switchboard"},
                         {"sasl.password", "pa55-word"}};
  return settings;
}

TEST(KafkaSettingsTest, TlsAndSaslPropertiesReachLibrdkafka) {
  auto conf = makeConf(saslSslSettings(), {{"client.id", "test"}});
  ASSERT_TRUE(conf.has_value()) << conf.error().describe();
  EXPECT_EQ(confValue(conf->get(), "bootstrap.servers"), "kafka-0.example:9093");
  EXPECT_EQ(confValue(conf->get(), "security.protocol"), "sasl_ssl");
  EXPECT_EQ(confValue(conf->get(), "ssl.ca.location"), kCaBundle);
  // sasl.mechanism is an alias of sasl.mechanisms.
  EXPECT_EQ(confValue(conf->get(), "sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(confValue(conf->get(), "sasl.username"), "switchboard");
  EXPECT_EQ(confValue(conf->get(), "sasl.password"), "pa55-word");
  EXPECT_EQ(confValue(conf->get(), "client.id"), "test");
}

TEST(KafkaSettingsTest, OperatorPropertiesOverrideDefaultsButNotFixedOnes) {
  KafkaSettings settings;
  settings.properties = {{"linger.ms", "7"}, {"acks", "1"}};
  auto conf = makeConf(settings, {{"linger.ms", "0"}}, {{"acks", "all"}});
  ASSERT_TRUE(conf.has_value()) << conf.error().describe();
  EXPECT_EQ(confValue(conf->get(), "linger.ms"), "7");
  EXPECT_EQ(confValue(conf->get(), "acks"), "-1");  // "all"
}

TEST(KafkaSettingsTest, UnknownPropertyIsAConfigError) {
  KafkaSettings settings;
  settings.properties = {{"sasl.pasword", "typo"}};
  auto conf = makeConf(settings, {});
  ASSERT_FALSE(conf.has_value());
  EXPECT_EQ(conf.error().code(), Errc::kConfig);
  EXPECT_NE(conf.error().message().find("sasl.pasword"), std::string::npos);
}

TEST(KafkaSettingsTest, SecretsComeFromTheEnvironment) {
  const std::vector<const char*> env = {"PATH=/usr/bin",
                                        "SWITCHBOARD_KAFKA_PROPERTY_SECURITY_PROTOCOL=SASL_SSL",
                                        "SWITCHBOARD_KAFKA_PROPERTY_SSL_KEY_PASSWORD=key-secret",
                                        "SWITCHBOARD_KAFKA_PROPERTY_SASL_PASSWORD=generic",
                                        "SWITCHBOARD_KAFKA_SASL_PASSWORD=shorthand=with=equals",
                                        "SWITCHBOARD_KAFKA_PROPERTY_=ignored",
                                        "SWITCHBOARD_BROKERS=ignored:9092",
                                        "NO_EQUALS_SIGN",
                                        nullptr};
  const std::map<std::string, std::string> expected = {{"security.protocol", "SASL_SSL"},
                                                       {"ssl.key.password", "key-secret"},
                                                       {"sasl.password", "shorthand=with=equals"}};
  EXPECT_EQ(propertiesFromEnvironment(env.data()), expected);
  EXPECT_TRUE(propertiesFromEnvironment(nullptr).empty());
}

TEST(KafkaSettingsTest, ProducerCarriesTlsSaslAndItsQueueBounds) {
  auto producer = Producer::create(saslSslSettings(), ProducerOptions{});
  ASSERT_TRUE(producer.has_value()) << producer.error().describe();
  const rd_kafka_conf_t* conf = rd_kafka_conf((*producer)->handle());
  EXPECT_EQ(confValue(conf, "security.protocol"), "sasl_ssl");
  EXPECT_EQ(confValue(conf, "sasl.username"), "switchboard");
  EXPECT_EQ(confValue(conf, "queue.buffering.max.kbytes"), std::to_string(128 << 10));
  EXPECT_EQ(confValue(conf, "queue.buffering.max.messages"), "200000");
  EXPECT_EQ(confValue(conf, "enable.idempotence"), "true");

  KafkaSettings tuned;
  tuned.brokers = "127.0.0.1:1";
  tuned.properties = {{"queue.buffering.max.kbytes", "4096"}};
  ProducerOptions options;
  options.queue_max_messages = 1000;
  auto small = Producer::create(tuned, options);
  ASSERT_TRUE(small.has_value()) << small.error().describe();
  const rd_kafka_conf_t* small_conf = rd_kafka_conf((*small)->handle());
  EXPECT_EQ(confValue(small_conf, "queue.buffering.max.kbytes"), "4096");
  EXPECT_EQ(confValue(small_conf, "queue.buffering.max.messages"), "1000");
}

}  // namespace
}  // namespace switchboard::kafka
