#include "router/api/agent_api.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/crypto/digest.h"
#include "core/http/error_status.h"
#include "core/http/media_type.h"
#include "core/ids.h"
#include "core/log.h"

namespace switchboard::router {
namespace {

namespace json = boost::json;

constexpr std::string_view kComponent = "agent-api";
constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxTextBytes = 256;
constexpr size_t kMaxSkills = 64;
constexpr size_t kMaxSkillBytes = 64;
constexpr uint64_t kMaxCapacity = 10000;

http::Response errorResponse(const Error& error) {
  return http::errorResponse(error.code(), errcName(error.code()), error.message());
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool isJson(std::optional<std::string_view> content_type) {
  return http::isMediaType(content_type, "application/json");
}

bool isPrintable(std::string_view s) {
  for (char c : s) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

// Agent ids appear raw in the path: unreserved characters and '@' only, so no decoding is
// needed and the id cannot contain the ':' that separates parts of the idempotency key.
bool isAgentId(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdBytes) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
          c == '~' || c == '@')) {
      return false;
    }
  }
  return true;
}

AgentAction actionFromName(std::string_view name) {
  if (name == "presence") return AgentAction::kPresence;
  if (name == "capacity") return AgentAction::kCapacity;
  if (name == "complete") return AgentAction::kComplete;
  if (name == "accept") return AgentAction::kAccept;
  if (name == "reject") return AgentAction::kReject;
  if (name == "transfer") return AgentAction::kTransfer;
  return AgentAction::kUnknown;
}

Error invalid(std::string_view field, std::string_view what) {
  return makeError(Errc::kInvalidArgument, std::string(field) + " " + std::string(what));
}

// An optional string member; absent or null gives nullopt.
Result<std::optional<std::string_view>> optionalString(const json::object& body,
                                                       std::string_view field, size_t max_bytes) {
  const json::value* v = body.if_contains(field);
  if (v == nullptr || v->is_null()) return std::optional<std::string_view>();
  const json::string* s = v->if_string();
  if (s == nullptr)
    return makeError(Errc::kMalformedInput, std::string(field) + " must be a string");
  if (s->size() > max_bytes) {
    return invalid(field, "is longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (!isPrintable(*s)) return invalid(field, "contains control characters");
  return std::optional<std::string_view>(std::string_view(*s));
}

// An optional id (agent, queue, domain, pool): the agent id rule, which policy names follow too.
Result<std::optional<std::string_view>> optionalId(const json::object& body,
                                                   std::string_view field) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> value,
                      optionalString(body, field, kMaxIdBytes));
  if (!value || value->empty()) return std::optional<std::string_view>();
  if (!isAgentId(*value)) {
    return invalid(field, "must have 1 to 128 characters from A-Z a-z 0-9 - . _ ~ @");
  }
  return value;
}

Result<std::string_view> requiredString(const json::object& body, std::string_view field,
                                        size_t max_bytes) {
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> value,
                      optionalString(body, field, max_bytes));
  if (!value || value->empty()) {
    return makeError(Errc::kMissingField, std::string(field) + " is required");
  }
  return *value;
}

std::optional<v1::Channel> channelFromName(std::string_view name) {
  static constexpr std::pair<std::string_view, v1::Channel> kChannels[] = {
      {"email", v1::CHANNEL_EMAIL},
      {"sms", v1::CHANNEL_SMS},
      {"chat", v1::CHANNEL_CHAT},
      {"messenger", v1::CHANNEL_MESSENGER},
      {"instagram", v1::CHANNEL_INSTAGRAM},
      {"whatsapp", v1::CHANNEL_WHATSAPP},
      {"x", v1::CHANNEL_X},
      {"telegram", v1::CHANNEL_TELEGRAM},
      {"voice", v1::CHANNEL_VOICE}};
  for (const auto& [channel_name, channel] : kChannels) {
    if (channel_name == name) return channel;
  }
  return std::nullopt;
}

Status parsePresence(const json::object& body, v1::PresenceChanged& out) {
  SB_ASSIGN_OR_RETURN(std::string_view presence, requiredString(body, "presence", kMaxIdBytes));
  if (presence == "available") {
    out.set_presence(v1::PRESENCE_AVAILABLE);
  } else if (presence == "away") {
    out.set_presence(v1::PRESENCE_AWAY);
  } else if (presence == "offline") {
    out.set_presence(v1::PRESENCE_OFFLINE);
  } else {
    return invalid("presence", "must be available, away or offline");
  }

  if (const json::value* v = body.if_contains("capacities"); v != nullptr && !v->is_null()) {
    const json::object* capacities = v->if_object();
    if (capacities == nullptr)
      return makeError(Errc::kMalformedInput, "capacities must be an object");
    for (const auto& [name, value] : *capacities) {
      std::optional<v1::Channel> channel = channelFromName(name);
      if (!channel) return invalid("capacities", "names an unknown channel");
      std::optional<uint64_t> count;
      if (const int64_t* i = value.if_int64(); i != nullptr && *i >= 0) {
        count = static_cast<uint64_t>(*i);
      } else if (const uint64_t* u = value.if_uint64()) {
        count = *u;
      }
      if (!count || *count > kMaxCapacity) {
        return invalid("capacities", "must be whole numbers from 0 to 10000");
      }
      v1::ChannelCapacity* capacity = out.add_capacities();
      capacity->set_channel(*channel);
      capacity->set_max_concurrent(static_cast<uint32_t>(*count));
    }
  }

  if (const json::value* v = body.if_contains("skills"); v != nullptr && !v->is_null()) {
    const json::array* skills = v->if_array();
    if (skills == nullptr) return makeError(Errc::kMalformedInput, "skills must be an array");
    if (skills->size() > kMaxSkills) return invalid("skills", "has more than 64 entries");
    for (const json::value& skill : *skills) {
      const json::string* s = skill.if_string();
      if (s == nullptr) return makeError(Errc::kMalformedInput, "skills must be strings");
      if (s->empty() || s->size() > kMaxSkillBytes || !isPrintable(*s)) {
        return invalid("skills", "must have 1 to 64 printable bytes each");
      }
      out.add_skills(std::string(*s));
    }
  }

  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> display_name,
                      optionalString(body, "display_name", kMaxTextBytes));
  if (display_name) out.set_display_name(std::string(*display_name));
  return okStatus();
}

Status parseTransfer(const json::object& body, std::string_view agent_id,
                     v1::TransferRequested& out) {
  SB_ASSIGN_OR_RETURN(std::string_view id, requiredString(body, "work_item_id", kMaxIdBytes));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> to_agent, optionalId(body, "to_agent_id"));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> to_queue, optionalId(body, "to_queue_id"));
  if (to_agent && to_queue) {
    return invalid("transfer", "takes to_agent_id or to_queue_id, not both");
  }
  if (!to_agent && !to_queue) {
    return makeError(Errc::kMissingField, "to_agent_id or to_queue_id is required");
  }
  if (to_agent && *to_agent == agent_id) {
    return invalid("to_agent_id", "is the agent who has the work item");
  }
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> reason,
                      optionalString(body, "reason", kMaxTextBytes));
  out.set_work_item_id(std::string(id));
  if (to_agent) out.set_to_agent_id(std::string(*to_agent));
  if (to_queue) out.set_to_queue_id(std::string(*to_queue));
  if (reason) out.set_reason(std::string(*reason));
  return okStatus();
}

}  // namespace

Status checkAgentDomain(std::string_view domain, const policy::Policy& policy) {
  std::string known;
  for (const std::string& d : policy.domains) {
    if (d == domain) return okStatus();
    known += (known.empty() ? "" : ", ") + d;
  }
  return invalid("domain",
                 "\"" + std::string(domain) +
                     "\" is not a dispatch domain of the routing policy (it has: " + known + ")");
}

Result<v1::AgentEvent> parseAgentRequest(const http::Request& request,
                                         std::chrono::system_clock::time_point now,
                                         std::string_view default_domain, AgentAction& action) {
  action = AgentAction::kUnknown;
  std::string_view rest = request.path;
  if (!rest.starts_with(AgentApi::kPrefix)) return makeError(Errc::kNotFound, "no such route");
  rest.remove_prefix(AgentApi::kPrefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return makeError(Errc::kNotFound, "expected /v1/agents/{agent_id}/{action}");
  }
  std::string_view agent_id = rest.substr(0, slash);
  action = actionFromName(rest.substr(slash + 1));
  if (action == AgentAction::kUnknown) {
    return makeError(Errc::kNotFound,
                     "unknown action; expected presence, capacity, complete, accept, reject or "
                     "transfer");
  }
  if (!isAgentId(agent_id)) {
    return invalid("agent_id", "must have 1 to 128 characters from A-Z a-z 0-9 - . _ ~ @");
  }
  if (!isJson(request.header("Content-Type"))) {
    return makeError(Errc::kUnsupportedMediaType, "Content-Type must be application/json");
  }

  std::array<unsigned char, 2048> arena;
  json::monotonic_resource resource(arena.data(), arena.size());
  boost::system::error_code ec;
  json::value parsed = json::parse(request.body, ec, &resource);
  if (ec) return makeError(Errc::kMalformedInput, "invalid JSON: " + ec.message());
  const json::object* body = parsed.if_object();
  if (body == nullptr) return makeError(Errc::kMalformedInput, "the body must be a JSON object");

  v1::AgentEvent event;
  event.set_agent_id(std::string(agent_id));
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> domain, optionalId(*body, "domain"));
  event.set_domain(std::string(domain ? *domain : default_domain));
  // Legacy: kept on the event for older consumers, no longer the key.
  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> pool_id,
                      optionalString(*body, "pool_id", kMaxIdBytes));
  if (pool_id) event.set_pool_id(std::string(*pool_id));

  switch (action) {
    case AgentAction::kPresence:
      SB_RETURN_IF_ERROR(parsePresence(*body, *event.mutable_presence()));
      break;
    case AgentAction::kCapacity:
      SB_RETURN_IF_ERROR(parsePresence(*body, *event.mutable_presence()));
      // An empty list would mean "keep the known capacities" on the presence event.
      if (event.presence().capacities().empty()) {
        return makeError(Errc::kMissingField, "capacities is required (e.g. {\"chat\": 2})");
      }
      break;
    case AgentAction::kComplete: {
      SB_ASSIGN_OR_RETURN(std::string_view id, requiredString(*body, "work_item_id", kMaxIdBytes));
      event.mutable_completed()->set_work_item_id(std::string(id));
      break;
    }
    case AgentAction::kAccept: {
      SB_ASSIGN_OR_RETURN(std::string_view id, requiredString(*body, "work_item_id", kMaxIdBytes));
      event.mutable_accepted()->set_work_item_id(std::string(id));
      break;
    }
    case AgentAction::kReject: {
      SB_ASSIGN_OR_RETURN(std::string_view id, requiredString(*body, "work_item_id", kMaxIdBytes));
      SB_ASSIGN_OR_RETURN(std::optional<std::string_view> reason,
                          optionalString(*body, "reason", kMaxTextBytes));
      event.mutable_rejected()->set_work_item_id(std::string(id));
      if (reason) event.mutable_rejected()->set_reason(std::string(*reason));
      break;
    }
    case AgentAction::kTransfer:
      SB_RETURN_IF_ERROR(parseTransfer(*body, agent_id, *event.mutable_transfer()));
      break;
    case AgentAction::kUnknown: break;
  }

  SB_ASSIGN_OR_RETURN(std::optional<std::string_view> request_id,
                      optionalString(*body, "request_id", kMaxIdBytes));
  // A retried request (same request_id) yields the same event id. The agent id cannot contain
  // ':' (isAgentId), so the key is unambiguous.
  std::string key = "agents:";
  key += agent_id;
  key += ':';
  if (request_id && !request_id->empty()) {
    key += *request_id;
  } else {
    key += randomHex(32);
  }
  v1::Envelope* envelope = event.mutable_envelope();
  envelope->set_event_id(crypto::derivedId("ag-", key, 32));
  envelope->set_idempotency_key(std::move(key));
  envelope->set_trace_id(traceIdOrRandom(request.header("traceparent")));
  setTimestamp(now, envelope->mutable_created_at());
  setTimestamp(now, envelope->mutable_received_at());
  envelope->set_producer(std::string(AgentApi::kProducer));
  return event;
}

// Waits for one event's delivery report, answers, and deletes itself.
class AgentApi::PendingEvent final : public kafka::DeliveryListener {
 public:
  PendingEvent(AgentApi& api, AgentAction action, http::Responder respond, http::Response accepted)
      : api_(api), action_(action), respond_(std::move(respond)), accepted_(std::move(accepted)) {
    api_.acquire();
  }
  ~PendingEvent() override { api_.release(); }

  void onDelivered(const kafka::DeliveryReport& report) override {
    if (report.ok()) {
      api_.probe_.requestAccepted(action_);
      respond_(std::move(accepted_));
    } else {
      unavailable(rd_kafka_err2str(report.err));
    }
    delete this;
  }

  void unavailable(std::string_view why) {
    api_.probe_.kafkaUnavailable(action_);
    log::warn(kComponent, "could not store an agent event, answered 503: " + std::string(why));
    http::Response response =
        http::jsonError(503, "unavailable", "the event could not be stored; retry later");
    response.headers.emplace_back("Retry-After", std::to_string(api_.options_.retry_after.count()));
    respond_(std::move(response));
  }

 private:
  AgentApi& api_;
  AgentAction action_;
  http::Responder respond_;
  http::Response accepted_;
};

AgentApi::AgentApi(kafka::Producer& producer, Topics topics, metrics::MetricsRegistry& metrics,
                   AgentApiOptions options)
    : producer_(producer),
      topics_(std::move(topics)),
      options_(std::move(options)),
      token_digest_(options_.bearer_token.empty() ? std::string()
                                                  : crypto::sha256Hex(options_.bearer_token)),
      event_type_(v1::AgentEvent::descriptor()->full_name()),
      probe_(metrics) {}

AgentApi::~AgentApi() {
  // Polled rather than notified: release() must not touch the API after its decrement.
  while (in_flight_.load(std::memory_order_acquire) != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void AgentApi::attach(http::HttpServer& server) {
  server.route("POST", std::string(kPrefix),
               [this](http::Request&& request, http::Responder respond) {
                 handle(std::move(request), std::move(respond));
               });
}

bool AgentApi::authorized(const http::Request& request) const {
  if (token_digest_.empty()) return options_.allow_unauthenticated;
  std::optional<std::string_view> header = request.header("Authorization");
  if (!header) return false;
  std::string_view value = *header;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !equalsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  // Comparing digests keeps the time independent of where, and whether in length, they differ.
  std::string presented = crypto::sha256Hex(value);
  return CRYPTO_memcmp(presented.data(), token_digest_.data(), token_digest_.size()) == 0;
}

void AgentApi::handle(http::Request&& request, http::Responder respond) {
  if (!authorized(request)) {
    std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
    probe_.unauthenticated(actionFromName(rest.substr(rest.find('/') + 1)));
    http::Response response =
        errorResponse(makeError(Errc::kUnauthenticated, "a valid bearer token is required"));
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"switchboard\"");
    respond(std::move(response));
    return;
  }
  AgentAction action = AgentAction::kUnknown;
  Result<v1::AgentEvent> event =
      parseAgentRequest(request, std::chrono::system_clock::now(), options_.default_domain, action);
  if (event && options_.policy != nullptr) {
    if (Status known = checkAgentDomain(event->domain(), *options_.policy->current()); !known) {
      event = known.error();
    }
  }
  if (!event) {
    probe_.requestRejected(action);
    respond(errorResponse(event.error()));
    return;
  }

  kafka::OutgoingRecord record;
  record.topic = topics_.agent_events;
  record.key = event->domain();
  record.event_id = event->envelope().event_id();
  record.event_type = event_type_;
  if (!event->SerializeToString(&record.value)) {
    probe_.requestRejected(action);
    respond(errorResponse(makeError(Errc::kInternal, "the event could not be serialized")));
    return;
  }

  json::object body;
  body["status"] = "accepted";
  body["event_id"] = event->envelope().event_id();
  body["idempotency_key"] = event->envelope().idempotency_key();
  http::Response accepted;
  accepted.status = 202;
  accepted.body = json::serialize(body);

  auto pending =
      std::make_unique<PendingEvent>(*this, action, std::move(respond), std::move(accepted));
  Status produced = producer_.produce(record, pending.get());
  if (!produced) {
    pending->unavailable(produced.error().describe());
    return;
  }
  pending.release();  // deletes itself on its delivery report
}

}  // namespace switchboard::router
