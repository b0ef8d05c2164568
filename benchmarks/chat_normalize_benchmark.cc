// The web chat connector's request path on one core: ChatConnector::normalize() on a realistic
// widget request, the protobuf serialization of the InboundMessage it returns, and both
// together (what IngressHost::handle() does before producing). items_per_second is messages
// per second; allocs_per_iter counts heap allocations (benchmarks/alloc_counter.h).
// Request shapes:
//   full         every field, message_id and a W3C traceparent header: ids are derived, no
//                random numbers drawn.
//   no_trace     no traceparent: the connector draws a random trace id (OpenSSL RAND_bytes).
//   minimal      only visitor_id and text: random message id (UUID) and random trace id.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <benchmark/benchmark.h>

#include "benchmarks/alloc_counter.h"
#include "connectors/chat/chat_connector.h"

namespace switchboard::connectors::chat {
namespace {

// 2024-05-01T12:00:00.250Z
const std::chrono::system_clock::time_point kNow =
    std::chrono::system_clock::time_point(std::chrono::seconds(1714564800)) +
    std::chrono::milliseconds(250);

// 505 bytes: a visitor's first message from the pricing page, with the attributes our widget
// sends and some non-ASCII text.
constexpr std::string_view kFullBody = R"({
  "visitor_id": "v-7f3c9a12-5b8e-4d21-9c0a-3e6f1b2d4a87",
  "message_id": "c-01HXYZ8K4M2Q7R9T3V5W6Y8Z0A",
  "session_id": "s-9d2e4f6a8b0c",
  "text": "Olá! I'm on the Pro plan and was charged twice this month (invoice INV-20931). Could someone help me get the second charge refunded? Obrigada.",
  "name": "Ana Souza",
  "email": "Ana.Souza@Example.COM",
  "language": "pt-BR",
  "attributes": {"page": "/pricing", "plan": "pro", "utm_source": "newsletter",
                 "browser": "Firefox 125"}
})";

constexpr std::string_view kMinimalBody =
    R"({"visitor_id":"v-7f3c9a12-5b8e-4d21-9c0a-3e6f1b2d4a87","text":"Hi, is anyone there?"})";

enum class Shape { kFull, kNoTrace, kMinimal };

// The request as the HTTP server hands it over: headers a browser sends through the edge.
http::Request chatRequest(Shape shape) {
  http::Request request;
  request.method = "POST";
  request.target = "/v1/chat/messages";
  request.path = "/v1/chat/messages";
  request.remote_address = "10.1.4.23";
  request.headers = {
      {"Host", "chat.example.com"},
      {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"},
      {"Accept", "application/json"},
      {"Accept-Language", "pt-BR,pt;q=0.9,en;q=0.8"},
      {"Content-Type", "application/json; charset=utf-8"},
      {"Origin", "https://www.example.com"},
      {"Referer", "https://www.example.com/pricing"},
      {"X-Forwarded-For", "203.0.113.7"},
  };
  if (shape == Shape::kFull) {
    request.headers.emplace_back("traceparent",
                                 "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  }
  request.body = std::string(shape == Shape::kMinimal ? kMinimalBody : kFullBody);
  request.headers.emplace_back("Content-Length", std::to_string(request.body.size()));
  return request;
}

NormalizedBatch normalizeOrDie(const ChatConnector& connector, const http::Request& request) {
  ConnectorResult<NormalizedBatch> result = connector.normalize(request, kNow);
  if (!result.has_value() || result->messages.size() != 1) {
    std::fprintf(stderr, "chat_normalize_benchmark: request refused: %s\n",
                 result.has_value() ? "no message" : result.error().detail().c_str());
    std::abort();
  }
  return std::move(*result);
}

void reportAllocations(benchmark::State& state, uint64_t start) {
  state.counters["allocs_per_iter"] = benchmark::Counter(
      static_cast<double>(bench::allocationCount() - start), benchmark::Counter::kAvgIterations);
}

void BM_Normalize(benchmark::State& state, Shape shape) {
  const ChatConnector connector;
  const http::Request request = chatRequest(shape);
  normalizeOrDie(connector, request);  // the request is valid
  const uint64_t start = bench::allocationCount();
  for (auto _ : state) {
    ConnectorResult<NormalizedBatch> result = connector.normalize(request, kNow);
    benchmark::DoNotOptimize(result);
  }
  reportAllocations(state, start);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(request.body.size()));
}
BENCHMARK_CAPTURE(BM_Normalize, full, Shape::kFull);
BENCHMARK_CAPTURE(BM_Normalize, no_trace, Shape::kNoTrace);
BENCHMARK_CAPTURE(BM_Normalize, minimal, Shape::kMinimal);

// The InboundMessage normalize() returned, into a reused buffer (the cost of the encoding
// alone) and into a fresh string per message (as IngressHost::handle() does).
void BM_Serialize(benchmark::State& state, bool reuse_buffer) {
  const ChatConnector connector;
  const NormalizedBatch batch = normalizeOrDie(connector, chatRequest(Shape::kFull));
  const v1::InboundMessage& message = batch.messages.front();
  std::string buffer;
  const uint64_t start = bench::allocationCount();
  for (auto _ : state) {
    if (reuse_buffer) {
      message.SerializeToString(&buffer);
      benchmark::DoNotOptimize(buffer.data());
    } else {
      std::string value;
      message.SerializeToString(&value);
      benchmark::DoNotOptimize(value.data());
    }
  }
  reportAllocations(state, start);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(message.ByteSizeLong()));
  state.counters["message_bytes"] = static_cast<double>(message.ByteSizeLong());
}
BENCHMARK_CAPTURE(BM_Serialize, reused_buffer, true);
BENCHMARK_CAPTURE(BM_Serialize, fresh_string, false);

// normalize() then SerializeToString() into a fresh string: the connector-side CPU cost of one
// accepted chat message before it is handed to the Kafka producer.
void BM_NormalizeAndSerialize(benchmark::State& state, Shape shape) {
  const ChatConnector connector;
  const http::Request request = chatRequest(shape);
  normalizeOrDie(connector, request);
  const uint64_t start = bench::allocationCount();
  for (auto _ : state) {
    ConnectorResult<NormalizedBatch> result = connector.normalize(request, kNow);
    std::string value;
    result->messages.front().SerializeToString(&value);
    benchmark::DoNotOptimize(value.data());
  }
  reportAllocations(state, start);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_NormalizeAndSerialize, full, Shape::kFull);
BENCHMARK_CAPTURE(BM_NormalizeAndSerialize, no_trace, Shape::kNoTrace);

}  // namespace
}  // namespace switchboard::connectors::chat
