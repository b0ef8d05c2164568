#include "core/kafka/mock_faults.h"

#include <gtest/gtest.h>

#include "core/kafka/embedded_cluster.h"

namespace switchboard::kafka {
namespace {

TEST(MockFaultsNamesTest, ApiNamesMapToProtocolKeys) {
  EXPECT_EQ(*apiKeyByName("produce"), 0);
  EXPECT_EQ(*apiKeyByName("fetch"), 1);
  EXPECT_EQ(*apiKeyByName("offset_commit"), 8);
  EXPECT_EQ(*apiKeyByName("join_group"), 11);
  EXPECT_EQ(*apiKeyByName("heartbeat"), 12);
  EXPECT_EQ(*apiKeyByName("sync_group"), 14);
  auto unknown = apiKeyByName("Produce");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("one of: produce, fetch"), std::string::npos)
      << unknown.error().message();
}

TEST(MockFaultsNamesTest, BrokerErrorsByKafkaName) {
  EXPECT_EQ(*brokerErrorByName("NOT_LEADER_FOR_PARTITION"),
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  EXPECT_EQ(*brokerErrorByName("RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS"),
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS);
  // librdkafka's local errors are negative: the broker cannot send them.
  EXPECT_FALSE(brokerErrorByName("_TRANSPORT"));
  EXPECT_FALSE(brokerErrorByName("NOT_AN_ERROR"));
}

TEST(MockFaultsTest, ControlsCheckTheirArgumentsOnARealMockCluster) {
  auto cluster = EmbeddedCluster::start(1);
  ASSERT_TRUE(cluster) << cluster.error().describe();
  MockFaults faults((*cluster)->mock());
  EXPECT_FALSE(faults.failRequests(0, RD_KAFKA_RESP_ERR_INVALID_MSG, 0));
  EXPECT_FALSE(faults.setBrokerRtt(1, -1));
  EXPECT_TRUE(faults.failRequests(0, RD_KAFKA_RESP_ERR_INVALID_MSG, 1));
  EXPECT_TRUE(faults.setBrokerRtt(1, 0));
  EXPECT_TRUE(faults.setBrokerDown(1, true));
  EXPECT_TRUE(faults.setBrokerDown(1, false));
  EXPECT_TRUE(faults.clearRequestErrors());
  EXPECT_FALSE(faults.setBrokerDown(42, true)) << "there is no broker 42";
}

}  // namespace
}  // namespace switchboard::kafka
