// Fuzz target: the web-chat connector's JSON parsing and validation (POST /v1/chat/messages).
// The route is unsigned, so the fuzzer's bytes are the body of an otherwise valid request.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/chat/chat_connector.h"
#include "fuzz/fuzz_request.h"

namespace {

using switchboard::connectors::chat::ChatConnector;

const ChatConnector& connector() {
  static const ChatConnector instance;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using switchboard::fuzz::makeRequest;
  std::string body(switchboard::fuzz::asView(data, size));
  auto request =
      makeRequest("POST", std::string(ChatConnector::kPath), "",
                  {{"Content-Type", "application/json; charset=utf-8"},
                   {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}},
                  std::move(body));
  (void)connector().normalize(request, switchboard::fuzz::kNow);
  return 0;
}
