#include "engine/runtime/supervisor_network.hpp"

#include <nlohmann/json.hpp>

#include "engine/docker/json.hpp"
#include "engine/runtime/docker_errors.hpp"

namespace engine::supervisor_network {
namespace {

using nlohmann::json;

json create_body() {
  return {{"Name", kName},
          {"Driver", "bridge"},
          {"CheckDuplicate", true},
          {"Options", {{"com.docker.network.bridge.name", kName}}},
          {"IPAM", {{"Driver", "default"}, {"Config", json::array({{{"Subnet", kSubnet}, {"Gateway", kGateway}}})}}}};
}

std::string text_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

bool is_as_made(std::string_view inspect_json) {
  const json network = json::parse(inspect_json, nullptr, false);
  if (!network.is_object() || text_at(network, "Name") != kName || text_at(network, "Driver") != "bridge") {
    return false;
  }
  const json options = network.value("Options", json::object());
  if (!options.is_object() || text_at(options, "com.docker.network.bridge.name") != kName) return false;
  const json ipam = network.value("IPAM", json::object());
  const json config = ipam.is_object() ? ipam.value("Config", json::array()) : json::array();
  if (!config.is_array() || config.size() != 1 || !config[0].is_object()) return false;
  return text_at(config[0], "Subnet") == kSubnet && text_at(config[0], "Gateway") == kGateway;
}

Result<bool> ready(const docker::Client& docker) {
  auto found = docker.inspect_network(kName);
  if (found.ok()) return is_as_made(found.value().raw);
  if (found.error().kind == docker::ErrorKind::not_found) return false;
  return error_from(found.error());
}

Status ensure(const docker::Client& docker) {
  auto found = docker.inspect_network(kName);
  if (found.ok()) {
    if (is_as_made(found.value().raw)) return Status::success();
    // By id: the name could match a prefix of another network's id.
    const docker::Status removed = docker.remove_network(found.value().id);
    if (!removed.ok() && !removed.is_not_found()) return error_from(removed.error());
  } else if (found.error().kind != docker::ErrorKind::not_found) {
    return error_from(found.error());
  }
  auto created = docker.create_network(docker::body(create_body()));
  if (created.ok() || created.error().kind == docker::ErrorKind::conflict) return Status::success();
  return error_from(created.error());
}

}  // namespace engine::supervisor_network
