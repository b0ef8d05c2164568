#include "core/crypto/hmac.h"

#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/crypto/digest.h"

namespace switchboard::crypto {
namespace {

std::string hexOf(const std::optional<Mac>& mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  if (!mac) return out;
  for (unsigned char c : mac->view()) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

// RFC 4231 test case 2 and RFC 2202 test case 2: key "Jefe".
constexpr std::string_view kJefeSha256 =
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
constexpr std::string_view kJefeSha1 = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";
constexpr std::string_view kJefeMessage = "what do ya want for nothing?";

TEST(HmacTest, MatchesTheRfcVectors) {
  EXPECT_EQ(hexOf(hmac(HmacDigest::kSha256, "Jefe", kJefeMessage)), kJefeSha256);
  EXPECT_EQ(hexOf(hmac(HmacDigest::kSha1, "Jefe", kJefeMessage)), kJefeSha1);
  EXPECT_EQ(hmac(HmacDigest::kSha256, "Jefe", kJefeMessage)->size, 32u);
  EXPECT_EQ(hmac(HmacDigest::kSha1, "Jefe", kJefeMessage)->size, 20u);
}

TEST(HmacTest, EmptyKeyAndMessageAreValid) {
  // Python: hmac.new(b"", b"", hashlib.sha256).hexdigest()
  EXPECT_EQ(hexOf(hmac(HmacDigest::kSha256, "", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  // The thread's context was keyed with "Jefe" before: an empty key must not reuse it.
  EXPECT_EQ(hexOf(hmac(HmacDigest::kSha256, "Jefe", kJefeMessage)), kJefeSha256);
  EXPECT_NE(hexOf(hmac(HmacDigest::kSha256, "", kJefeMessage)), kJefeSha256);
}

TEST(HmacTest, PartsAreConcatenated) {
  const std::vector<std::string_view> parts = {"what do ", "", "ya want", " for nothing?"};
  EXPECT_EQ(hexOf(hmac(HmacDigest::kSha256, "Jefe", parts)), kJefeSha256);
  EXPECT_EQ(hexOf(hmac(HmacDigest::kSha1, "Jefe", parts)), kJefeSha1);
}

TEST(HmacTest, KeysDoNotLeakBetweenCallsOrThreads) {
  std::string other = hexOf(hmac(HmacDigest::kSha256, "another key", kJefeMessage));
  EXPECT_NE(other, kJefeSha256);
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        bool jefe = (i + t) % 2 == 0;
        std::string got = hexOf(hmac(
            HmacDigest::kSha256, jefe ? std::string_view("Jefe") : "another key", kJefeMessage));
        if (got != (jefe ? std::string(kJefeSha256) : other)) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

TEST(DigestTest, Sha256HexAndDerivedIds) {
  // FIPS 180-2 example "abc".
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(derivedId("in-", "abc", 32), "in-ba7816bf8f01cfea414140de5dae2223");
  EXPECT_EQ(derivedId("wi-", "abc"), "wi-ba7816bf8f01cfea414140de");
  EXPECT_EQ(derivedId("x-", "abc", 5), "x-ba781");
  EXPECT_EQ(derivedId("x-", "abc", 100).size(), 2u + 64u);
}

}  // namespace
}  // namespace switchboard::crypto
