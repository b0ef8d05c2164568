#include "app/fault_control.h"

#include <prometheus/counter.h>
#include <boost/json.hpp>

#include "core/log.h"

namespace switchboard::app {
namespace {

http::Response answer(const Status& status) {
  if (status) return {.status = 200, .body = R"({"ok":true})"};
  boost::json::object error{{"error", status.error().message()}};
  return {.status = 400, .body = boost::json::serialize(error)};
}

Result<boost::json::object> parseObject(const std::string& body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body.empty() ? "{}" : body, ec);
  if (ec || !v.is_object()) return makeError(Errc::kInvalidArgument, "body must be a JSON object");
  return v.as_object();
}

Result<std::string> stringField(const boost::json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) {
    return makeError(Errc::kInvalidArgument, std::string("'") + name + "' must be a string");
  }
  return std::string(v->as_string());
}

Result<int64_t> intField(const boost::json::object& o, const char* name, int64_t fallback) {
  const auto* v = o.if_contains(name);
  if (v == nullptr) return fallback;
  if (!v->is_int64()) {
    return makeError(Errc::kInvalidArgument, std::string("'") + name + "' must be an integer");
  }
  return v->as_int64();
}

}  // namespace

Result<std::unique_ptr<FaultControl>> FaultControl::start(const Options& options,
                                                          rd_kafka_mock_cluster_t* cluster) {
  std::unique_ptr<FaultControl> control(new FaultControl(cluster));
  http::ServerOptions so;
  so.address = options.http_address;
  so.port = options.http_port;
  so.threads = 1;
  control->server_ = std::make_unique<http::HttpServer>(so);
  control->mount();
  SB_RETURN_IF_ERROR(control->server_->start());
  log::warn("faults",
            "fault injection open on port " + std::to_string(control->port()) + ": for tests only");
  return control;
}

void FaultControl::mount() {
  auto& family = prometheus::BuildCounter()
                     .Name("switchboard_fault_injections_total")
                     .Help("Faults injected into the embedded cluster, by kind")
                     .Register(metrics_.registry());
  // One handler per kind: parse, apply, count what was applied.
  auto route = [&](const char* path, const char* kind, auto apply) {
    prometheus::Counter* counter = &family.Add({{"kind", kind}});
    server_->route("POST", path,
                   [this, counter, kind, apply](http::Request&& request, http::Responder respond) {
                     Status status = [&]() -> Status {
                       SB_ASSIGN_OR_RETURN(boost::json::object body, parseObject(request.body));
                       return apply(body);
                     }();
                     if (status) {
                       counter->Increment();
                       log::info("faults", std::string(kind) + " " + request.body);
                     }
                     respond(answer(status));
                   });
  };
  route("/v1/faults/request-errors", "request_errors",
        [this](const boost::json::object& body) -> Status {
          SB_ASSIGN_OR_RETURN(std::string api, stringField(body, "api"));
          SB_ASSIGN_OR_RETURN(std::string error, stringField(body, "error"));
          SB_ASSIGN_OR_RETURN(int64_t count, intField(body, "count", 1));
          SB_ASSIGN_OR_RETURN(int16_t key, kafka::apiKeyByName(api));
          SB_ASSIGN_OR_RETURN(rd_kafka_resp_err_t code, kafka::brokerErrorByName(error));
          return faults_.failRequests(key, code, static_cast<int>(count));
        });
  route("/v1/faults/broker", "broker_state", [this](const boost::json::object& body) -> Status {
    SB_ASSIGN_OR_RETURN(int64_t broker, intField(body, "broker", 1));
    const auto* down = body.if_contains("down");
    if (down == nullptr || !down->is_bool()) {
      return makeError(Errc::kInvalidArgument, "'down' must be true or false");
    }
    return faults_.setBrokerDown(static_cast<int32_t>(broker), down->as_bool());
  });
  route("/v1/faults/rtt", "rtt", [this](const boost::json::object& body) -> Status {
    SB_ASSIGN_OR_RETURN(int64_t broker, intField(body, "broker", 1));
    SB_ASSIGN_OR_RETURN(int64_t ms, intField(body, "ms", 0));
    return faults_.setBrokerRtt(static_cast<int32_t>(broker), static_cast<int>(ms));
  });
  route("/v1/faults/clear", "clear",
        [this](const boost::json::object&) -> Status { return faults_.clearRequestErrors(); });
  server_->route("GET", "/metrics", [this](http::Request&&, http::Responder respond) {
    respond({.status = 200,
             .content_type = "text/plain; version=0.0.4; charset=utf-8",
             .body = metrics_.render()});
  });
  server_->route("GET", "/healthz", [](http::Request&&, http::Responder respond) {
    respond({.status = 200, .body = R"({"status":"ok"})"});
  });
}

}  // namespace switchboard::app
