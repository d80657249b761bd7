// Network calls.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calls.hpp"
#include "engine/docker/client.hpp"
#include "parse.hpp"
#include "url.hpp"

namespace engine::docker {

using detail::make_request;
using detail::Method;

Result<std::string> Client::create_network(const JsonBody& body) const {
  const std::string call = detail::describe_call("create network", detail::name_in(body));
  auto request = make_request(options_, Method::post, "/networks/create");
  request.json_body = body.text;
  return detail::request_created_id(options_, request, call);
}

Result<NetworkInfo> Client::inspect_network(const std::string& id) const {
  return detail::request_parsed(options_, make_request(options_, Method::get, detail::object_path("networks", id)),
                                detail::describe_call("inspect network", id), detail::parse_network);
}

Result<std::vector<NetworkInfo>> Client::list_networks(const Filters& filters) const {
  const std::string call = "list networks";
  auto request = make_request(options_, Method::get, "/networks");
  if (!filters.empty()) request.query.emplace_back("filters", detail::filters_json(filters));
  return detail::request_list(options_, request, call, detail::parse_network);
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
  auto request = make_request(options_, Method::post, detail::object_path("networks", network, "/connect"));
  request.json_body = detail::dump(body);
  return detail::request_status(
      options_, request,
      fmt::format("{} to container '{}'", detail::describe_call("connect network", network), container));
}

Status Client::remove_network(const std::string& id) const {
  return detail::request_status(options_, make_request(options_, Method::del, detail::object_path("networks", id)),
                                detail::describe_call("remove network", id));
}

}  // namespace engine::docker
