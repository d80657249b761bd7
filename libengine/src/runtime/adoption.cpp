#include "engine/runtime/adoption.hpp"

#include <fmt/format.h>

#include "engine/docker/json.hpp"
#include "engine/runtime/names.hpp"
#include "reconcile/compose_json.hpp"

namespace engine {
namespace {

using nlohmann::json;

bool set(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && !it->is_null() && !(it->is_string() && it->get<std::string>().empty()) &&
         !(it->is_array() && it->empty());
}

std::string env_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

// Image entries first, then the body's, a body entry replacing the image's
// of the same name: the engine's merge of Env.
json merged_env(const json& image_env, const json& body_env) {
  json out = json::array();
  std::map<std::string, std::size_t> at;
  for (const json* list : {&image_env, &body_env}) {
    if (!list->is_array()) continue;
    for (const json& entry : *list) {
      if (!entry.is_string()) continue;
      const std::string name = env_name(entry.get<std::string>());
      if (auto found = at.find(name); found != at.end()) {
        out[found->second] = entry;
      } else {
        at[name] = out.size();
        out.push_back(entry);
      }
    }
  }
  return out;
}

json merged_object(const json& under, const json& over) {
  json out = under.is_object() ? under : json::object();
  if (over.is_object()) {
    for (const auto& [key, value] : over.items()) out[key] = value;
  }
  return out;
}

// The balena supervisor gives every container its app's name
// (BALENA_APP_NAME, local-api.md §5). The daemon's create body names it
// too; a create body without the name (one that knows no app names) gets
// the target's, so the comparison is as balena made the container.
void name_the_app(json& body, const std::string& app_name) {
  if (!body.contains("Env") || !body["Env"].is_array()) return;
  for (json& entry : body["Env"]) {
    if (entry == "BALENA_APP_NAME=" || entry == "RESIN_APP_NAME=") entry = entry.get<std::string>() + app_name;
  }
}

}  // namespace

json inspect_as_created(const json& body, const json& image, const std::string& name, const std::string& id) {
  const json image_config = image.is_object() && image.contains("Config") && image["Config"].is_object()
                                ? image["Config"]
                                : json::object();
  json config = body;
  config.erase("HostConfig");
  config.erase("NetworkingConfig");
  config["Env"] = merged_env(image_config.value("Env", json::array()), body.value("Env", json::array()));
  config["Labels"] = merged_object(image_config.value("Labels", json::object()), body.value("Labels", json::object()));
  // An entrypoint given at create drops the image's command (the engine's rule).
  if (!set(body, "Entrypoint")) {
    config["Entrypoint"] = image_config.value("Entrypoint", json());
    if (!set(body, "Cmd")) config["Cmd"] = image_config.value("Cmd", json());
  }
  for (const char* key : {"WorkingDir", "User", "StopSignal", "Healthcheck"}) {
    if (!set(body, key) && image_config.contains(key)) config[key] = image_config[key];
  }
  for (const char* key : {"Volumes", "ExposedPorts"}) {
    config[key] = merged_object(image_config.value(key, json::object()), body.value(key, json::object()));
  }
  json networks = json::object();
  if (body.contains("NetworkingConfig") && body["NetworkingConfig"].is_object()) {
    networks = body["NetworkingConfig"].value("EndpointsConfig", json::object());
  }
  return json{{"Id", id},
              {"Name", name.starts_with("/") ? name : "/" + name},
              {"Image", image.value("Id", body.value("Image", ""))},
              {"Config", std::move(config)},
              {"HostConfig", body.value("HostConfig", json::object())},
              {"NetworkSettings", {{"Networks", std::move(networks)}}},
              {"State", {{"Status", "running"}, {"Running", true}}}};
}

Adoption::Adoption(const docker::Client& docker, CreateBodyFn create_body,
                   std::function<std::optional<reconcile::State>()> target)
    : docker_(docker), create_body_(std::move(create_body)), target_(std::move(target)) {}

std::optional<Adopted> Adoption::adopt(const docker::ContainerSummary& container,
                                      const std::function<std::optional<json>()>& inspect,
                                      const std::map<std::string, std::string>& container_ids) {
  const auto app = container.labels.find(names::kAppId);
  const auto service = container.labels.find(names::kServiceName);
  const auto target = target_();
  if (!target || app == container.labels.end() || service == container.labels.end()) return std::nullopt;
  for (const reconcile::App& candidate : target->apps) {
    if (fmt::to_string(candidate.app_id) != app->second) continue;
    for (const reconcile::Service& wanted : candidate.services) {
      if (wanted.service_name != service->second) continue;
      // The target as compared: composition, image, release, app name.
      const std::string key = fmt::format("{}\n{}\n{}\n{}\n{}", wanted.config().composition, wanted.image,
                                          wanted.commit, candidate.name, json(container_ids).dump());
      {
        const std::lock_guard lock(mutex_);
        if (auto it = answers_.find(container.id); it != answers_.end() && it->second.first == key) {
          return it->second.second;
        }
      }
      const auto found = inspect();
      if (!found) return std::nullopt;
      auto answer = compare(*found, wanted, candidate.name, container_ids);
      const std::lock_guard lock(mutex_);
      answers_[container.id] = {key, answer};
      return answer;
    }
  }
  return std::nullopt;
}

std::optional<Adopted> Adoption::compare(const json& inspect, const reconcile::Service& target,
                                         const std::string& app_name,
                                         const std::map<std::string, std::string>& container_ids) const {
  auto image = docker_.inspect_image(target.image);
  if (!image) return std::nullopt;  // not here yet: the target needs a pull, so a new container anyway
  reconcile::Service with_image = target;
  with_image.docker_image_id = image->id;
  json body;
  if (!create_body_(with_image, body).ok()) return std::nullopt;
  name_the_app(body, app_name);
  const json image_inspect = docker::parse_raw(image->raw);
  const json created = inspect_as_created(body, image_inspect, inspect.value("Name", ""), inspect.value("Id", ""));
  auto current = reconcile::compose::service_from_container(inspect);
  auto wanted = reconcile::compose::service_from_container(created);
  if (!current.ok() || !wanted.ok()) return std::nullopt;
  if (!reconcile::compose::same_service_config(current.value(), wanted.value(), container_ids)) return std::nullopt;
  return Adopted{target.config().composition, target.image};
}

}  // namespace engine
