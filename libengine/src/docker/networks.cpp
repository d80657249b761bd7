// Network calls.
#include <nlohmann/json.hpp>

#include "calls.hpp"
#include "engine/docker/client.hpp"
#include "parse.hpp"
#include "url.hpp"

namespace engine::docker {

using detail::make_request;
using detail::Method;
using detail::path_part;

namespace {

// The network's name from a create body, for error texts.
std::string name_in(const JsonBody& body) {
  const auto json = nlohmann::json::parse(body.text, nullptr, /*allow_exceptions=*/false);
  if (json.is_object() && json.contains("Name") && json["Name"].is_string()) {
    return json["Name"].get<std::string>();
  }
  return "";
}

}  // namespace

Result<std::string> Client::create_network(const JsonBody& body) const {
  const std::string call = detail::describe_call("create network", name_in(body));
  auto request = make_request(options_, Method::post, "/networks/create");
  request.json_body = body.text;
  auto json = detail::request_json(options_, request, call);
  if (!json.ok()) return json.error();
  const auto id = json->find("Id");
  if (id == json->end() || !id->is_string()) {
    return Error{ErrorKind::bad_response, 201, call, "no Id in the answer"};
  }
  return id->get<std::string>();
}

Result<NetworkInfo> Client::inspect_network(const std::string& id) const {
  auto json = detail::request_json(options_, make_request(options_, Method::get, "/networks/" + path_part(id)),
                                   detail::describe_call("inspect network", id));
  if (!json.ok()) return json.error();
  return detail::parse_network(json.value());
}

Result<std::vector<NetworkInfo>> Client::list_networks(const Filters& filters) const {
  const std::string call = "list networks";
  auto request = make_request(options_, Method::get, "/networks");
  if (!filters.empty()) request.query.emplace_back("filters", detail::filters_json(filters));
  auto json = detail::request_json(options_, request, call);
  if (!json.ok()) return json.error();
  if (!json->is_array()) return Error{ErrorKind::bad_response, 200, call, "expected a JSON array"};
  std::vector<NetworkInfo> out;
  out.reserve(json->size());
  for (const auto& entry : json.value()) out.push_back(detail::parse_network(entry));
  return out;
}

Status Client::connect_network(const std::string& network, const std::string& container,
                               const JsonBody& endpoint_config) const {
  nlohmann::json body = {{"Container", container}};
  if (!endpoint_config.text.empty()) {
    auto config = nlohmann::json::parse(endpoint_config.text, nullptr, /*allow_exceptions=*/false);
    if (!config.is_object()) {
      return Error{ErrorKind::bad_request, 0, detail::describe_call("connect network", network),
                   "endpoint config is not a JSON object"};
    }
    body["EndpointConfig"] = std::move(config);
  }
  auto request = make_request(options_, Method::post, "/networks/" + path_part(network) + "/connect");
  request.json_body = detail::dump(body);
  return detail::request_status(
      options_, request,
      detail::describe_call("connect network", network) + " to container '" + container + "'");
}

Status Client::remove_network(const std::string& id) const {
  return detail::request_status(options_, make_request(options_, Method::del, "/networks/" + path_part(id)),
                                detail::describe_call("remove network", id));
}

}  // namespace engine::docker
