// Volume calls.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "calls.hpp"
#include "engine/docker/client.hpp"
#include "parse.hpp"
#include "url.hpp"

namespace engine::docker {

using detail::make_request;
using detail::Method;

Result<VolumeInfo> Client::create_volume(const JsonBody& body) const {
  auto request = make_request(options_, Method::post, "/volumes/create");
  request.json_body = body.text;
  return detail::request_parsed(options_, request, detail::describe_call("create volume", detail::name_in(body)),
                                detail::parse_volume);
}

Result<VolumeInfo> Client::inspect_volume(const std::string& name) const {
  return detail::request_parsed(options_, make_request(options_, Method::get, detail::object_path("volumes", name)),
                                detail::describe_call("inspect volume", name), detail::parse_volume);
}

Result<std::vector<VolumeInfo>> Client::list_volumes(const Filters& filters) const {
  const std::string call = "list volumes";
  auto request = make_request(options_, Method::get, "/volumes");
  if (!filters.empty()) request.query.emplace_back("filters", detail::filters_json(filters));
  auto json = detail::request_json(options_, request, call);
  if (!json.ok()) return json.error();
  // {"Volumes": [...] or null, "Warnings": ...}
  const auto volumes = json->find("Volumes");
  std::vector<VolumeInfo> out;
  if (volumes == json->end() || volumes->is_null()) return out;
  if (!volumes->is_array()) return Error{ErrorKind::bad_response, 200, call, "Volumes is not an array"};
  return detail::parse_each(*volumes, detail::parse_volume);
}

Status Client::remove_volume(const std::string& name, Force force) const {
  auto request = make_request(options_, Method::del, detail::object_path("volumes", name));
  if (force == Force::yes) request.query.emplace_back("force", "1");
  return detail::request_status(options_, request, detail::describe_call("remove volume", name));
}

}  // namespace engine::docker
