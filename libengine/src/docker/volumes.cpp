// Volume calls.
#include <nlohmann/json.hpp>

#include "calls.hpp"
#include "engine/docker/client.hpp"
#include "parse.hpp"
#include "url.hpp"

namespace engine::docker {

using detail::make_request;
using detail::Method;
using detail::path_part;

Result<VolumeInfo> Client::create_volume(const JsonBody& body) const {
  const auto parsed = nlohmann::json::parse(body.text, nullptr, /*allow_exceptions=*/false);
  std::string name;
  if (parsed.is_object() && parsed.contains("Name") && parsed["Name"].is_string()) {
    name = parsed["Name"].get<std::string>();
  }
  auto request = make_request(options_, Method::post, "/volumes/create");
  request.json_body = body.text;
  auto json = detail::request_json(options_, request, detail::describe_call("create volume", name));
  if (!json.ok()) return json.error();
  return detail::parse_volume(json.value());
}

Result<VolumeInfo> Client::inspect_volume(const std::string& name) const {
  auto json = detail::request_json(options_, make_request(options_, Method::get, "/volumes/" + path_part(name)),
                                   detail::describe_call("inspect volume", name));
  if (!json.ok()) return json.error();
  return detail::parse_volume(json.value());
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
  out.reserve(volumes->size());
  for (const auto& entry : *volumes) out.push_back(detail::parse_volume(entry));
  return out;
}

Status Client::remove_volume(const std::string& name, Force force) const {
  auto request = make_request(options_, Method::del, "/volumes/" + path_part(name));
  if (force == Force::yes) request.query.emplace_back("force", "1");
  return detail::request_status(options_, request, detail::describe_call("remove volume", name));
}

}  // namespace engine::docker
