#include "connectors/x/x_signature.h"

#include <string>

#include <gtest/gtest.h>

namespace switchboard::connectors::x {
namespace {

// RFC 4231 (HMAC-SHA256 test vectors), the digests written in base64.
TEST(XSignatureTest, MatchesRfc4231) {
  // Test case 1: key = 0x0b x 20, data = "Hi There",
  // HMAC = b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7.
  EXPECT_EQ(webhookSignature(std::string(20, '\x0b'), "Hi There"),
            "sha256=sDRMYdjbOFNcqK/OrwvxK4gdwgDJgz2nJuk3bC4yz/c=");
  // Test case 2: key = "Jefe", data = "what do ya want for nothing?",
  // HMAC = 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843.
  EXPECT_EQ(webhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
}

TEST(XSignatureTest, ComparesWholeSignatures) {
  std::string good = webhookSignature("Jefe", "what do ya want for nothing?");
  EXPECT_TRUE(webhookSignatureMatches("Jefe", "what do ya want for nothing?", good));
  EXPECT_FALSE(webhookSignatureMatches("Jefe", "what do ya want for nothing!", good));
  EXPECT_FALSE(webhookSignatureMatches("jefe", "what do ya want for nothing?", good));
  EXPECT_FALSE(webhookSignatureMatches("Jefe", "what do ya want for nothing?", good + "="));
  EXPECT_FALSE(webhookSignatureMatches("Jefe", "what do ya want for nothing?", good.substr(7)));
  EXPECT_FALSE(webhookSignatureMatches("Jefe", "what do ya want for nothing?", ""));
}

TEST(XSignatureTest, SignsEmptyInputs) {
  // HMAC-SHA256 with an empty key and message:
  // b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad.
  EXPECT_EQ(webhookSignature("", ""), "sha256=thNnmggU2ex3L5XXeMNfxf8Wl8STcVZTxscSFEKSxa0=");
}

}  // namespace
}  // namespace switchboard::connectors::x
