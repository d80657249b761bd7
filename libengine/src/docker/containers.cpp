// Container calls.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calls.hpp"
#include "engine/docker/client.hpp"
#include "parse.hpp"
#include "url.hpp"

namespace engine::docker {

using detail::make_request;
using detail::Method;

namespace {

// When a stop names no timeout the engine uses the container's StopTimeout,
// which we cannot see here; allow this much.
constexpr std::chrono::seconds assumed_stop_timeout{std::chrono::minutes(10)};

std::string container_path(const std::string& id, const char* suffix) {
  return detail::object_path("containers", id, suffix);
}

}  // namespace

Result<std::string> Client::create_container(const std::string& name, const JsonBody& body) const {
  const std::string call = detail::describe_call("create container", name);
  auto request = make_request(options_, Method::post, "/containers/create");
  if (!name.empty()) request.query.emplace_back("name", name);
  request.json_body = body.text;
  return detail::request_created_id(options_, request, call);
}

Status Client::start_container(const std::string& id) const {
  const auto started = start_container_reporting(id);
  if (!started.ok()) return started.error();
  return {};
}

Result<StartOutcome> Client::start_container_reporting(const std::string& id) const {
  const std::string call = detail::describe_call("start container", id);
  const auto response =
      detail::perform(options_, make_request(options_, Method::post, container_path(id, "/start")), call);
  if (const Status answered = detail::expect_success(call, response, {304}); !answered.ok()) {
    return answered.error();
  }
  return response->status == 304 ? StartOutcome::already_running : StartOutcome::started;
}

Status Client::stop_container(const std::string& id,
                              std::optional<std::chrono::seconds> timeout) const {
  auto request = make_request(options_, Method::post, container_path(id, "/stop"));
  if (timeout) request.query.emplace_back("t", fmt::to_string(timeout->count()));
  // The engine answers only once the container is down.
  request.timeout += std::chrono::duration_cast<std::chrono::milliseconds>(
      timeout.value_or(assumed_stop_timeout));
  return detail::request_status(options_, request, detail::describe_call("stop container", id), {304});
}

Status Client::kill_container(const std::string& id, const std::string& signal) const {
  auto request = make_request(options_, Method::post, container_path(id, "/kill"));
  if (!signal.empty()) request.query.emplace_back("signal", signal);
  return detail::request_status(options_, request, detail::describe_call("kill container", id));
}

Status Client::remove_container(const std::string& id, RemoveVolumes volumes, Force force) const {
  auto request = make_request(options_, Method::del, container_path(id, ""));
  request.query.emplace_back("v", volumes == RemoveVolumes::remove ? "1" : "0");
  request.query.emplace_back("force", force == Force::yes ? "1" : "0");
  return detail::request_status(options_, request, detail::describe_call("remove container", id));
}

Status Client::rename_container(const std::string& id, const std::string& new_name) const {
  auto request = make_request(options_, Method::post, container_path(id, "/rename"));
  request.query.emplace_back("name", new_name);
  return detail::request_status(options_, request,
                                fmt::format("{} to '{}'", detail::describe_call("rename container", id), new_name));
}

Status Client::update_restart_policy(const std::string& id, const RestartPolicy& policy) const {
  // The engine ignores an empty Name (the old policy stays), so clearing
  // sends "no". balena's handover sends {} and so never really clears it.
  const std::string name = policy.name.empty() ? "no" : policy.name;
  nlohmann::json body = {{"RestartPolicy",
                          {{"Name", name}, {"MaximumRetryCount", policy.maximum_retry_count}}}};
  return update_container(id, JsonBody{detail::dump(body)});
}

Status Client::update_container(const std::string& id, const JsonBody& body) const {
  auto request = make_request(options_, Method::post, container_path(id, "/update"));
  request.json_body = body.text;
  return detail::request_status(options_, request, detail::describe_call("update container", id));
}

Result<ContainerInfo> Client::inspect_container(const std::string& id) const {
  return detail::request_parsed(options_, make_request(options_, Method::get, container_path(id, "/json")),
                                detail::describe_call("inspect container", id), detail::parse_container_info);
}

Result<std::vector<ContainerSummary>> Client::list_containers(const Filters& filters,
                                                              ListScope scope) const {
  const std::string call = "list containers";
  auto request = make_request(options_, Method::get, "/containers/json");
  request.query.emplace_back("all", scope == ListScope::all ? "1" : "0");
  if (!filters.empty()) request.query.emplace_back("filters", detail::filters_json(filters));
  return detail::request_list(options_, request, call, detail::parse_container_summary);
}

}  // namespace engine::docker
