#include "connectors/meta/meta_connector.h"

#include <array>
#include <optional>
#include <string>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "connectors/common/rejection_reasons.h"
#include "connectors/common/request_checks.h"
#include "connectors/meta/hub_signature.h"
#include "connectors/meta/meta_events.h"
#include "core/http/media_type.h"
#include "core/ids.h"

namespace switchboard::connectors::meta {
namespace {

namespace json = boost::json;

// Rejection reasons: metric labels and DeadLetter reasons, so a fixed set.
constexpr std::string_view kNotConfigured = "not_configured";
constexpr std::string_view kBadVerification = "bad_verification";
constexpr std::string_view kBadVerifyToken = "bad_verify_token";
using reasons::kBadSignature;
using reasons::kInvalidField;
using reasons::kMalformedJson;
using reasons::kMissingField;
using reasons::kMissingSignature;
constexpr std::string_view kUnknownObject = "unknown_object";

constexpr std::string_view kSignatureHeader = "X-Hub-Signature-256";
// Meta sends a number; anything echoed back stays short and URL-safe.
constexpr size_t kMaxChallengeBytes = 128;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: "%XX" and '+' for a space.
std::optional<std::string> formDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] != '%') {
      out += s[i];
    } else {
      if (i + 2 >= s.size()) return std::nullopt;
      int high = hexValue(s[i + 1]);
      int low = hexValue(s[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high << 4 | low);
      i += 2;
    }
  }
  return out;
}

// The decoded value of the first `name` parameter of a raw query string; a parameter that does
// not decode counts as absent.
std::optional<std::string> queryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t end = query.find('&');
    std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    size_t equals = pair.find('=');
    std::optional<std::string> key = formDecode(pair.substr(0, equals));
    if (!key || *key != name) continue;
    std::optional<std::string> value =
        formDecode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1));
    if (value) return value;
  }
  return std::nullopt;
}

bool isUnreservedToken(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

std::optional<v1::Channel> channelForObject(std::string_view object) {
  if (object == "page") return v1::CHANNEL_MESSENGER;
  if (object == "instagram") return v1::CHANNEL_INSTAGRAM;
  if (object == "whatsapp_business_account") return v1::CHANNEL_WHATSAPP;
  return std::nullopt;
}

http::Response acceptedResponse(const NormalizedBatch& batch) {
  json::object body;
  body["status"] = "accepted";
  body["messages"] = batch.messages.size();
  body["notices"] = batch.notices.size();
  http::Response response;
  response.status = 200;
  response.body = json::serialize(body);
  return response;
}

}  // namespace

std::vector<Route> MetaConnector::routes() const {
  return {Route{"GET", std::string(kPath)}, Route{"POST", std::string(kPath)}};
}

ConnectorResult<NormalizedBatch> MetaConnector::normalize(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  // An empty key would let anyone sign; registerMetaConnector() never builds such a connector.
  if (settings_.app_secret.empty() || settings_.verify_token.empty()) {
    return Rejection(Errc::kConfig, kNotConfigured,
                     "the Meta app secret and verify token are not configured");
  }
  if (request.method == "GET") return verifySubscription(request);
  return receive(request, now);
}

ConnectorResult<NormalizedBatch> MetaConnector::verifySubscription(
    const http::Request& request) const {
  if (queryParameter(request.query, "hub.mode") != "subscribe") {
    return Rejection(Errc::kForbidden, kBadVerification, "hub.mode must be subscribe");
  }
  std::optional<std::string> token = queryParameter(request.query, "hub.verify_token");
  if (!token || !secretsEqual(*token, settings_.verify_token)) {
    return Rejection(Errc::kForbidden, kBadVerifyToken,
                     "hub.verify_token does not match the configured verify token");
  }
  std::optional<std::string> challenge = queryParameter(request.query, "hub.challenge");
  if (!challenge || challenge->empty()) {
    return Rejection(Errc::kMissingField, kMissingField, "hub.challenge is required");
  }
  if (challenge->size() > kMaxChallengeBytes || !isUnreservedToken(*challenge)) {
    return Rejection(Errc::kMalformedInput, kInvalidField,
                     "hub.challenge must be at most 128 letters, digits or -._~");
  }
  NormalizedBatch batch;
  batch.accepted.status = 200;
  batch.accepted.content_type = "text/plain";
  batch.accepted.body = std::move(*challenge);
  return batch;
}

ConnectorResult<NormalizedBatch> MetaConnector::receive(
    const http::Request& request, std::chrono::system_clock::time_point now) const {
  if (auto rejected = rejectIfLargerThan(request, settings_.max_body_bytes)) return *rejected;
  // Authenticate before looking at the content: an unsigned caller learns nothing else.
  switch (checkHubSignature(settings_.app_secret, request.body, request.header(kSignatureHeader))) {
    case SignatureCheck::kValid: break;
    case SignatureCheck::kMissing:
      return Rejection(Errc::kUnauthenticated, kMissingSignature,
                       "X-Hub-Signature-256 is required (sha256=<hex HMAC-SHA256 of the body>)");
    case SignatureCheck::kMalformed:
      return Rejection(Errc::kForbidden, kBadSignature,
                       "X-Hub-Signature-256 must be sha256= and 64 hex digits");
    case SignatureCheck::kMismatch:
      return Rejection(Errc::kForbidden, kBadSignature,
                       "X-Hub-Signature-256 does not match the body under the app secret");
  }
  if (auto rejected = rejectUnlessMediaType(request, "application/json")) return *rejected;

  std::array<unsigned char, 8192> arena;
  json::monotonic_resource resource(arena.data(), arena.size());
  boost::system::error_code ec;
  json::value parsed = json::parse(request.body, ec, &resource);
  if (ec) return Rejection(Errc::kMalformedInput, kMalformedJson, "invalid JSON: " + ec.message());
  const json::object* body = parsed.if_object();
  if (body == nullptr) {
    return Rejection(Errc::kMalformedInput, kMalformedJson, "the body must be a JSON object");
  }

  const json::value* object = body->if_contains("object");
  if (object == nullptr || object->is_null()) {
    return Rejection(Errc::kMissingField, kMissingField, "object is required");
  }
  if (!object->is_string()) {
    return Rejection(Errc::kMalformedInput, kInvalidField, "object must be a string");
  }
  std::optional<v1::Channel> channel = channelForObject(object->get_string());
  if (!channel) {
    // Never quote it: the detail goes to the answer and the dead letter, the body has it.
    return Rejection(Errc::kInvalidArgument, kUnknownObject,
                     "object must be page, instagram or whatsapp_business_account");
  }
  const json::value* entries = body->if_contains("entry");
  if (entries == nullptr || entries->is_null()) {
    return Rejection(Errc::kMissingField, kMissingField, "entry is required");
  }
  if (!entries->is_array()) {
    return Rejection(Errc::kMalformedInput, kInvalidField, "entry must be an array");
  }

  EventContext context{traceIdOrRandom(request.header("traceparent")), now};
  BatchBuilder builder(context);
  if (*channel == v1::CHANNEL_WHATSAPP) {
    normalizeWhatsAppEntries(entries->get_array(), builder);
  } else {
    normalizeMessagingEntries(entries->get_array(), *channel, builder);
  }
  NormalizedBatch batch = std::move(builder).take();
  batch.accepted = acceptedResponse(batch);
  return batch;
}

Status registerMetaConnector(ConnectorRegistry& registry, const MetaSettings& settings) {
  bool configured = !settings.app_secret.empty() && !settings.verify_token.empty();
  if (!settings.enabled.value_or(configured)) return okStatus();
  if (!configured) {
    return makeError(Errc::kConfig,
                     "the Meta connector is enabled but its app secret or verify token is empty");
  }
  return registry.add(std::make_unique<MetaConnector>(settings));
}

}  // namespace switchboard::connectors::meta
