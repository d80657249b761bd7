// A target-state service normalized the way balena-supervisor's
// Service.fromComposeObject stores it: every compose key in one spelling,
// the image's defaults filled in, the supervisor's environment and labels
// injected, feature labels applied, named volumes and networks namespaced.
// The result is what both the create body and the recreate decision use,
// and has the shape service_from_container reads a container back into.
#include <algorithm>
#include <set>

#include "compose/internal.hpp"

namespace reconcile::compose::detail {
namespace {

std::int64_t int_field(const json& object, const char* key, std::int64_t fallback, const std::string& pointer) {
  if (!object.contains(key) || object[key].is_null()) return fallback;
  const json& value = object[key];
  if (value.is_number_integer() || value.is_number_unsigned()) return value.get<std::int64_t>();
  if (value.is_string() && all_digits(value.get<std::string>()) && value.get<std::string>().size() < 19) {
    return std::stoll(value.get<std::string>());
  }
  fail(child_pointer(pointer, key), "must be an integer");
}

std::string string_field(const json& object, const char* key, const std::string& fallback, const std::string& pointer) {
  if (!object.contains(key) || object[key].is_null()) return fallback;
  if (!object[key].is_string()) fail(child_pointer(pointer, key), "must be a string");
  return object[key].get<std::string>();
}

bool bool_value(const json& value, const std::string& pointer) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string()) {
    const auto text = value.get<std::string>();
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
  }
  if (value.is_number_integer()) return value.get<std::int64_t>() != 0;
  fail(pointer, "must be true or false");
}

std::int64_t number_value(const json& value, const std::string& pointer) {
  if (value.is_number_integer() || value.is_number_unsigned()) return value.get<std::int64_t>();
  if (value.is_string()) {
    const auto text = trim(value.get<std::string>());
    const bool negative = !text.empty() && text[0] == '-';
    if (all_digits(negative ? text.substr(1) : text) && text.size() < 19) return std::stoll(text);
  }
  fail(pointer, "must be an integer");
}

json healthcheck_to_docker(const json& check, const std::string& pointer) {
  if (!check.is_object()) fail(pointer, "must be an object");
  json out = json::object();
  if (check.contains("disable") && truthy(check["disable"])) return {{"Test", json::array({"NONE"})}};
  if (check.contains("test")) {
    const json& test = check["test"];
    if (test.is_string()) out["Test"] = json::array({"CMD-SHELL", test});
    else out["Test"] = string_list(test, child_pointer(pointer, "test"));
  }
  const std::pair<const char*, const char*> durations[] = {
      {"interval", "Interval"}, {"timeout", "Timeout"}, {"start_period", "StartPeriod"}, {"start_interval", "StartInterval"}};
  for (const auto& [key, engine] : durations) {
    if (check.contains(key)) out[engine] = duration_ns(check[key], child_pointer(pointer, key));
  }
  if (check.contains("retries")) out["Retries"] = number_value(check["retries"], child_pointer(pointer, "retries"));
  return out;
}

json networks_of(const json& networks, const Identity& id, const std::string& pointer) {
  json out = json::object();
  if (networks.is_null()) return out;
  json by_name = json::object();
  if (networks.is_array()) {
    for (std::size_t i = 0; i < networks.size(); ++i) {
      if (!networks[i].is_string()) fail(child_pointer(pointer, i), "must be a network name");
      by_name[networks[i].get<std::string>()] = json::object();
    }
  } else if (networks.is_object()) {
    by_name = networks;
  } else {
    fail(pointer, "must be a list of network names or an object");
  }
  for (const auto& [name, settings] : by_name.items()) {
    const std::string here = child_pointer(pointer, name);
    if (!settings.is_null() && !settings.is_object()) fail(here, "must be an object");
    const bool supervisor = name == "supervisor0";
    json network = json::object();
    json aliases = json::array();
    if (!supervisor) aliases.push_back(id.service_name);
    if (settings.is_object()) {
      if (settings.contains("aliases")) {
        for (const auto& alias : string_list(settings["aliases"], child_pointer(here, "aliases"))) {
          if (std::find(aliases.begin(), aliases.end(), alias) == aliases.end()) aliases.push_back(alias);
        }
      }
      for (const char* key : {"ipv4_address", "ipv6_address"}) {
        if (settings.contains(key) && !settings[key].is_null()) network[key] = scalar_text(settings[key], child_pointer(here, key));
      }
      if (settings.contains("link_local_ips")) {
        network["link_local_ips"] = string_list(settings["link_local_ips"], child_pointer(here, "link_local_ips"));
      }
    }
    network["aliases"] = aliases;
    drop_empty(network);
    out[supervisor ? name : fmt::format("{}_{}", id.app_uuid, name)] = network;
  }
  return out;
}

// Compose keys kept as they are once their type is right.
const std::set<std::string> kStringKeys = {"cgroup_parent", "cpuset",      "domainname", "hostname", "ipc",
                                           "mac_address",   "pid",         "stop_signal", "user",    "userns_mode",
                                           "restart",       "network_mode", "working_dir"};
const std::set<std::string> kListKeys = {"cap_add",     "cap_drop", "dns",          "dns_opt", "dns_search",
                                         "extra_hosts", "group_add", "security_opt", "devices"};
const std::set<std::string> kBoolKeys = {"init", "oom_kill_disable", "privileged", "read_only", "tty"};
const std::set<std::string> kNumberKeys = {"cpu_shares", "cpu_quota", "oom_score_adj", "pids_limit"};
const std::set<std::string> kMemoryKeys = {"mem_limit", "mem_reservation", "shm_size"};

json normalize_composition(const json& given, const Identity& id, const std::string& pointer) {
  json out = json::object();
  for (const auto& [key, value] : given.items()) {
    const std::string here = child_pointer(pointer, key);
    if (value.is_null()) continue;
    if (kStringKeys.contains(key)) {
      out[key] = scalar_text(value, here);
    } else if (kListKeys.contains(key)) {
      out[key] = string_list(value, here);
    } else if (kBoolKeys.contains(key)) {
      out[key] = bool_value(value, here);
    } else if (kNumberKeys.contains(key)) {
      out[key] = number_value(value, here);
    } else if (kMemoryKeys.contains(key)) {
      out[key] = memory_bytes(value, here);
    } else if (key == "cpus") {
      if (value.is_number()) out[key] = value.get<double>();
      else if (value.is_string()) out[key] = std::stod(value.get<std::string>());
      else fail(here, "must be a number");
    } else if (key == "stop_grace_period") {
      out[key] = duration_ns(value, here) / 1'000'000'000;
    } else if (key == "command" || key == "entrypoint") {
      out[key] = command_list(value, here);
    } else if (key == "environment") {
      out[key] = environment_object(value, here);
    } else if (key == "labels") {
      out[key] = normalize_labels(value, here);
    } else if (key == "sysctls") {
      out[key] = environment_object(value, here);
    } else if (key == "ulimits" || key == "storage_opt") {
      if (!value.is_object()) fail(here, "must be an object");
      out[key] = value;
    } else if (key == "healthcheck") {
      out[key] = healthcheck_to_docker(value, here);
    } else if (key == "ports") {
      out[key] = normalize_ports(value, here);
    } else if (key == "volumes") {
      out[key] = normalize_volumes(value, id.app_id, here);
    } else if (key == "tmpfs") {
      out[key] = tmpfs_list(value, here);
    } else if (key == "networks") {
      out[key] = networks_of(value, id, here);
    } else if (key == "depends_on") {
      if (value.is_object()) {
        json names = json::array();
        for (const auto& [name, _] : value.items()) names.push_back(name);
        out[key] = names;
      } else {
        out[key] = string_list(value, here);
      }
    } else if (key == "device_requests") {
      if (!value.is_array()) fail(here, "must be a list");
      out[key] = value;
    }
    // Anything else (expose, build, logging, ...) is not supported and ignored.
  }
  if (out.contains("working_dir")) {
    auto dir = out["working_dir"].get<std::string>();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    out["working_dir"] = dir;
  }
  if (out.contains("extra_hosts")) {
    for (auto& host : out["extra_hosts"]) {
      auto text = host.get<std::string>();
      const auto eq = text.find('=');
      if (eq != std::string::npos && text.substr(0, eq).find(':') == std::string::npos) text[eq] = ':';
      host = text;
    }
  }
  // Devices as HOST:CONTAINER:PERMISSIONS, the way the engine reports them.
  if (out.contains("devices")) {
    for (auto& device : out["devices"]) {
      const auto spec = device.get<std::string>();
      const auto first = spec.find(':');
      if (first == std::string::npos) {
        device = fmt::format("{0}:{0}:rwm", spec);
      } else if (spec.find(':', first + 1) == std::string::npos) {
        device = fmt::format("{}:rwm", spec);
      }
    }
  }
  if (out.contains("restart")) {
    const auto policy = out["restart"].get<std::string>();
    const bool retries = starts_with(policy, "on-failure:") && all_digits(policy.substr(11)) && policy.size() < 20;
    if (policy != "no" && policy != "always" && policy != "on-failure" && policy != "unless-stopped" && !retries) {
      fail(child_pointer(pointer, "restart"),
           fmt::format("\"{}\" is not a restart policy (no, always, on-failure[:N], unless-stopped)", policy));
    }
  }
  if (out.contains("network_mode")) {
    const auto mode = out["network_mode"].get<std::string>();
    if (starts_with(mode, "service:")) out["network_mode"] = fmt::format("service:{}", trim(mode.substr(8)));
  }
  return out;
}

Identity identity_of(const json& service, const std::string& pointer) {
  Identity id;
  id.service_name = string_field(service, "serviceName", "main", pointer);
  id.app_id = int_field(service, "appId", 1, pointer);
  id.app_uuid = string_field(service, "appUuid", "appuuid", pointer);
  id.service_id = int_field(service, "serviceId", 1, pointer);
  return id;
}

}  // namespace

json normalize_service_json(const json& service, const ServiceOptions& options) {
  if (!service.is_object()) fail("", "a service must be an object");
  const Identity id = identity_of(service, "");
  json result = {{"serviceName", id.service_name},
                 {"appId", id.app_id},
                 {"appUuid", id.app_uuid},
                 {"serviceId", id.service_id},
                 {"imageId", int_field(service, "imageId", 1, "")},
                 {"releaseId", int_field(service, "releaseId", 1, "")},
                 {"commit", string_field(service, "commit", "main-commit", "")},
                 {"image", string_field(service, "image", "test-image", "")}};
  if (service.contains("running")) result["running"] = bool_value(service["running"], "/running");

  // Shortcut keys on the service itself; composition wins.
  json given = json::object();
  for (const char* key : {"labels", "environment", "networks", "volumes", "depends_on", "command", "restart",
                          "network_mode"}) {
    if (service.contains(key)) given[key] = service[key];
  }
  if (service.contains("composition")) {
    if (!service["composition"].is_object()) fail("/composition", "must be an object");
    for (const auto& [key, value] : service["composition"].items()) given[key] = value;
  }
  json composition = normalize_composition(given, id, "/composition");

  // The image's configuration gives defaults.
  const json& info = options.image_info;
  const json image_config = info.is_object() && info.contains("Config") && info["Config"].is_object()
                                ? info["Config"] : json::object();
  if (info.is_object() && info.contains("Id") && info["Id"].is_string()) result["dockerImageId"] = info["Id"];
  const std::pair<const char*, const char*> defaults[] = {
      {"command", "Cmd"}, {"entrypoint", "Entrypoint"}, {"working_dir", "WorkingDir"}, {"user", "User"},
      {"stop_signal", "StopSignal"}, {"healthcheck", "Healthcheck"}};
  for (const auto& [key, engine] : defaults) {
    if (composition.contains(key) || !image_config.contains(engine) || image_config[engine].is_null()) continue;
    composition[key] = image_config[engine];
  }

  // Environment: image < supervisor < user < feature labels.
  json env = environment_object(image_config.value("Env", json()), "/options/imageInfo/Config/Env");
  env.update(supervisor_environment(id, options));
  env.update(composition.value("environment", json::object()));
  composition["environment"] = env;

  // Labels: image < user < the supervisor's own.
  json labels = normalize_labels(image_config.value("Labels", json()), "/options/imageInfo/Config/Labels");
  labels.update(composition.value("labels", json::object()));
  labels["io.balena.supervised"] = "true";
  labels["io.balena.app-id"] = fmt::to_string(id.app_id);
  labels["io.balena.app-uuid"] = id.app_uuid;
  labels["io.balena.service-id"] = fmt::to_string(id.service_id);
  labels["io.balena.service-name"] = id.service_name;
  composition["labels"] = labels;

  // Networks: a service on no network joins the app's default one;
  // host, none, container: and service: modes join none.
  const std::string mode = composition.value("network_mode", "");
  const bool own_stack = mode == "host" || mode == "none" || starts_with(mode, "container:") ||
                         starts_with(mode, "service:");
  if (own_stack) {
    composition.erase("networks");
  } else if (!composition.contains("networks") || composition["networks"].empty()) {
    if (mode.empty()) composition["networks"] = networks_of(json{{"default", json::object()}}, id, "/composition/networks");
  }
  if (mode == "host" && !composition.contains("hostname") && !options.hostname.empty()) {
    composition["hostname"] = options.hostname;
  }

  // Volumes: the user's, the update-lock directory, the image's VOLUMEs.
  json volumes = composition.value("volumes", json::array());
  const std::string lock_dir = fmt::format("{}/{}/{}", options.lock_dir_root, id.app_id, id.service_name);
  volumes.push_back(fmt::format("{}:/tmp/resin", lock_dir));
  volumes.push_back(fmt::format("{}:/tmp/balena", lock_dir));
  if (image_config.contains("Volumes") && image_config["Volumes"].is_object()) {
    for (const auto& [path, _] : image_config["Volumes"].items()) volumes.push_back(path);
  }
  composition["volumes"] = volumes;

  json feature_env = json::object();
  apply_features(composition, feature_env, id, options);
  if (composition.contains("networks") && composition["networks"].empty()) composition.erase("networks");
  composition["environment"].update(feature_env);

  // Each volume once, in first-seen order.
  json unique = json::array();
  for (const auto& volume : composition["volumes"]) {
    if (std::find(unique.begin(), unique.end(), volume) == unique.end()) unique.push_back(volume);
  }
  composition["volumes"] = unique;

  drop_empty(composition);
  result["composition"] = composition;
  return result;
}

}  // namespace reconcile::compose::detail

namespace reconcile::compose {

Parsed<nlohmann::json> normalize_service(const nlohmann::json& service, const ServiceOptions& options) {
  return detail::guarded([&] { return detail::normalize_service_json(service, options); });
}

}  // namespace reconcile::compose
