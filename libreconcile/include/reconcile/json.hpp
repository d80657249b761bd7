// JSON forms of the model: the plan request ({"current", "target",
// "context"}, see docs/plan-request.md and schema/plan-request.schema.json)
// and the steps. This is the only public header that includes nlohmann/json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "reconcile/model.hpp"
#include "reconcile/model_engine.hpp"
#include "reconcile/step.hpp"

namespace reconcile {

// A parse error names the bad field by JSON pointer ("/current/apps/0/appId").
struct ParseError {
  std::string pointer;
  std::string message;
  [[nodiscard]] std::string to_string() const;
};

template <typename T>
class Parsed {
 public:
  Parsed(T value) : result_(std::move(value)) {}            // NOLINT: implicit by design
  Parsed(ParseError error) : result_(std::move(error)) {}  // NOLINT
  [[nodiscard]] bool ok() const { return result_.index() == 0; }
  [[nodiscard]] const T& value() const& { return std::get<0>(result_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(result_)); }
  [[nodiscard]] const ParseError& error() const { return std::get<1>(result_); }

 private:
  std::variant<T, ParseError> result_;
};

struct PlanRequest {
  State current;
  State target;
  Context context;
};

// Reads a plan request. Every field is optional and takes the defaults of
// docs/plan-request.md; a present field of the wrong type or value is an
// error naming it.
[[nodiscard]] Parsed<PlanRequest> parse_plan_request(const nlohmann::json& json);
[[nodiscard]] Parsed<PlanRequest> parse_plan_request_text(std::string_view text);

// Time in the "2026-01-01T00:30:00Z" form (also accepts fractional seconds
// and numeric offsets).
[[nodiscard]] std::optional<Seconds> parse_time(std::string_view text);
[[nodiscard]] std::string format_time(Seconds time);
// Milliseconds since the epoch in the "2026-01-01T00:30:00.250Z" form (log lines).
[[nodiscard]] std::string format_time_ms(std::int64_t ms);

[[nodiscard]] nlohmann::json to_json(const Step& step);
[[nodiscard]] nlohmann::json to_json(const std::vector<Step>& steps);  // {"steps": [...]}
[[nodiscard]] nlohmann::json to_json(const Service& service);
[[nodiscard]] nlohmann::json to_json(const Image& image);
[[nodiscard]] nlohmann::json to_json(const Network& network);
[[nodiscard]] nlohmann::json to_json(const Volume& volume);
[[nodiscard]] nlohmann::json to_json(const App& app);
[[nodiscard]] nlohmann::json to_json(const State& state);
[[nodiscard]] nlohmann::json to_json(const Context& context);
// The request form again; parse_plan_request(to_json(r)) gives r back.
[[nodiscard]] nlohmann::json to_json(const PlanRequest& request);

// The body of POST /v2/local/target-state, as the balena CLI sends it in
// local mode: {"local": {"name", "config", "apps": {"<appId>": {"name",
// "commit", "releaseId", "services": {"<serviceId>": {...}}, "volumes",
// "networks"}}}, "force"}. Apps are keyed by app id (also their uuid), every
// service key but serviceName, serviceId, imageId, image, environment,
// labels, running and contract is compose configuration.
struct LocalTargetState {
  std::optional<std::string> name;  // absent: keep the current device name
  std::map<std::string, std::string> config;
  State target;
  bool force = false;
};
[[nodiscard]] Parsed<LocalTargetState> parse_local_target_state(const nlohmann::json& json);

// The cloud's target state, v3 (GET /device/v3/:uuid/state): {"<device uuid>":
// {"name", "config", "apps": {"<app uuid>": {"id", "name", "class",
// "is_host", "releases": {"<commit>": {"id", "services", "volumes",
// "networks"}}}}}}. Only the first release of an app is used; an app without
// a release is an app with nothing to run. Names and sizes are checked as the
// balena supervisor checks them.
struct CloudTargetState {
  std::string name;
  std::map<std::string, std::string> config;
  State target;
};
[[nodiscard]] Parsed<CloudTargetState> parse_target_state_v3(const nlohmann::json& json,
                                                             const std::string& device_uuid);

// Fills in the planner-relevant fields of a service (running, depends_on,
// networks, volumes, strategy, config_key ...) from a compose configuration.
// Used by the parser and by anything that builds services from compose.
[[nodiscard]] Parsed<Service> service_from_json(const nlohmann::json& json, bool is_current,
                                                Seconds now);

// A network or volume in the compose module's JSON form ({"name", "appId",
// "appUuid", "config": {compose keys}}): what compose::network_from_engine
// and volume_from_engine return. A null or absent appUuid means the app id.
[[nodiscard]] Parsed<Network> network_from_json(const nlohmann::json& json);
[[nodiscard]] Parsed<Volume> volume_from_json(const nlohmann::json& json);

}  // namespace reconcile
