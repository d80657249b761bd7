// A normalized service as the body of POST /containers/create: compose keys
// mapped to the engine's field names. Everything decided about the service
// was decided by normalization; this only renames and adds what is set at
// creation and never compared (the device name at init).
#include "compose/internal.hpp"

namespace reconcile::compose::detail {
namespace {

// compose key -> (HostConfig or top-level field)
struct Rename {
  const char* compose;
  const char* engine;
};

constexpr Rename kHostConfig[] = {
    {"cap_add", "CapAdd"},          {"cap_drop", "CapDrop"},
    {"dns", "Dns"},                 {"dns_opt", "DnsOptions"},
    {"dns_search", "DnsSearch"},    {"extra_hosts", "ExtraHosts"},
    {"group_add", "GroupAdd"},      {"security_opt", "SecurityOpt"},
    {"init", "Init"},               {"oom_kill_disable", "OomKillDisable"},
    {"privileged", "Privileged"},   {"read_only", "ReadonlyRootfs"},
    {"cpu_shares", "CpuShares"},    {"cpu_quota", "CpuQuota"},
    {"cpuset", "CpusetCpus"},       {"oom_score_adj", "OomScoreAdj"},
    {"pids_limit", "PidsLimit"},    {"mem_limit", "Memory"},
    {"mem_reservation", "MemoryReservation"}, {"shm_size", "ShmSize"},
    {"cgroup_parent", "CgroupParent"}, {"pid", "PidMode"},
    {"userns_mode", "UsernsMode"},  {"sysctls", "Sysctls"},
    {"storage_opt", "StorageOpt"},  {"device_requests", "DeviceRequests"},
};

constexpr Rename kTopLevel[] = {
    {"command", "Cmd"},          {"entrypoint", "Entrypoint"}, {"working_dir", "WorkingDir"},
    {"user", "User"},            {"hostname", "Hostname"},     {"domainname", "Domainname"},
    {"mac_address", "MacAddress"}, {"stop_signal", "StopSignal"}, {"healthcheck", "Healthcheck"},
    {"stop_grace_period", "StopTimeout"},
};

json devices_of(const json& devices) {
  json out = json::array();
  for (const auto& device : devices) {
    const auto spec = device.get<std::string>();
    const auto first = spec.find(':');
    const std::string host = spec.substr(0, first);
    std::string container = host;
    std::string permissions = "rwm";
    if (first != std::string::npos) {
      const auto rest = spec.substr(first + 1);
      const auto second = rest.find(':');
      container = rest.substr(0, second);
      if (second != std::string::npos) permissions = rest.substr(second + 1);
    }
    out.push_back({{"PathOnHost", host}, {"PathInContainer", container}, {"CgroupPermissions", permissions}});
  }
  return out;
}

json ulimits_of(const json& ulimits) {
  json out = json::array();
  for (const auto& [name, value] : ulimits.items()) {
    if (value.is_number()) {
      out.push_back({{"Name", name}, {"Soft", value}, {"Hard", value}});
    } else if (value.is_object()) {
      out.push_back({{"Name", name}, {"Soft", value.value("soft", 0)}, {"Hard", value.value("hard", 0)}});
    }
  }
  return out;
}

}  // namespace

json create_body_json(const json& normalized, const ServiceOptions& options) {
  const json& composition = normalized.at("composition");
  json body = json::object();
  body["Image"] = normalized.contains("dockerImageId") ? normalized["dockerImageId"] : normalized.at("image");

  json env = composition.value("environment", json::object());
  env["BALENA_DEVICE_NAME_AT_INIT"] = options.device_name;
  env["RESIN_DEVICE_NAME_AT_INIT"] = options.device_name;
  json env_list = json::array();
  for (const auto& [name, value] : env.items()) {
    env_list.push_back(fmt::format("{}={}", name, value.get<std::string>()));
  }
  body["Env"] = env_list;
  body["Labels"] = composition.value("labels", json::object());
  body["Tty"] = composition.value("tty", true);
  for (const auto& [key, engine] : kTopLevel) {
    if (composition.contains(key)) body[engine] = composition[key];
  }

  json host = json::object();
  for (const auto& [key, engine] : kHostConfig) {
    if (composition.contains(key)) host[engine] = composition[key];
  }
  // SELinux label=... options are the engine's to set, as the balena
  // supervisor does; the others go through as given.
  if (host.contains("SecurityOpt") && host["SecurityOpt"].is_array()) {
    json kept = json::array();
    for (const auto& option : host["SecurityOpt"]) {
      if (!option.is_string() || !starts_with(option.get<std::string>(), "label=")) kept.push_back(option);
    }
    host["SecurityOpt"] = std::move(kept);
  }
  if (composition.contains("cpus")) {
    host["NanoCpus"] = static_cast<std::int64_t>(composition["cpus"].get<double>() * 1e9);
  }
  host["IpcMode"] = composition.value("ipc", "shareable");
  if (!host.contains("ShmSize")) host["ShmSize"] = 64 * 1024 * 1024;
  if (composition.contains("devices")) host["Devices"] = devices_of(composition["devices"]);
  if (composition.contains("ulimits")) host["Ulimits"] = ulimits_of(composition["ulimits"]);
  const std::string restart = composition.value("restart", "always");
  if (restart.starts_with("on-failure:")) {
    host["RestartPolicy"] = {{"Name", "on-failure"}, {"MaximumRetryCount", std::stoll(restart.substr(11))}};
  } else {
    host["RestartPolicy"] = {{"Name", restart == "no" ? "" : restart}};
  }

  json binds = json::array();
  json anonymous = json::object();
  json mounts = json::array();
  volumes_to_engine(composition.value("volumes", json::array()), binds, anonymous, mounts);
  host["Binds"] = binds;
  host["Mounts"] = mounts;
  body["Volumes"] = anonymous;
  json tmpfs = json::object();
  for (const auto& entry : composition.value("tmpfs", json::array())) {
    const auto text = entry.get<std::string>();
    const auto colon = text.find(':');
    tmpfs[text.substr(0, colon)] = colon == std::string::npos ? "" : text.substr(colon + 1);
  }
  host["Tmpfs"] = tmpfs;

  json exposed = json::object();
  json bindings = json::object();
  ports_to_engine(composition.value("ports", json::array()), exposed, bindings);
  body["ExposedPorts"] = exposed;
  host["PortBindings"] = bindings;

  // The network mode names the first network the container joins; the
  // app's default network comes first when the service is on it.
  json endpoints = json::object();
  const std::string mode = composition.value("network_mode", "");
  const json networks = composition.value("networks", json::object());
  if (starts_with(mode, "service:")) {
    const auto name = mode.substr(8);
    const auto found = options.container_ids.find(name);
    if (found == options.container_ids.end()) {
      fail("/composition/network_mode",
           fmt::format("network_mode \"{}\": service \"{}\" has no container", mode, name));
    }
    host["NetworkMode"] = fmt::format("container:{}", found->second);
  } else if (!mode.empty()) {
    host["NetworkMode"] = mode;
  } else if (!networks.empty()) {
    const std::string default_name = fmt::format("{}_default", normalized.value("appUuid", ""));
    std::string first = networks.begin().key();
    for (const auto& [name, _] : networks.items()) {
      if (name != "supervisor0") {
        first = name;
        break;
      }
    }
    host["NetworkMode"] = networks.contains(default_name) ? default_name : first;
  }
  for (const auto& [name, settings] : networks.items()) {
    json endpoint = json::object();
    json ipam = json::object();
    if (settings.contains("ipv4_address")) ipam["IPv4Address"] = settings["ipv4_address"];
    if (settings.contains("ipv6_address")) ipam["IPv6Address"] = settings["ipv6_address"];
    if (settings.contains("link_local_ips")) ipam["LinkLocalIPs"] = settings["link_local_ips"];
    if (!ipam.empty()) endpoint["IPAMConfig"] = ipam;
    if (settings.contains("aliases")) endpoint["Aliases"] = settings["aliases"];
    endpoints[name] = endpoint;
  }
  body["NetworkingConfig"] = {{"EndpointsConfig", endpoints}};
  body["HostConfig"] = host;
  return body;
}

}  // namespace reconcile::compose::detail

namespace reconcile::compose {

Parsed<nlohmann::json> container_create_body(const nlohmann::json& normalized, const ServiceOptions& options) {
  return detail::guarded([&] { return detail::create_body_json(normalized, options); });
}

Parsed<nlohmann::json> service_to_container_create(const nlohmann::json& service, const ServiceOptions& options) {
  return detail::guarded(
      [&] { return detail::create_body_json(detail::normalize_service_json(service, options), options); });
}

Parsed<nlohmann::json> service_to_container_create(const Service& service, const ServiceOptions& options) {
  const nlohmann::json composition = nlohmann::json::parse(service.config().composition, nullptr, false);
  if (!composition.is_object()) return ParseError{"/composition", "the service's composition is not a JSON object"};
  const nlohmann::json as_json = {{"serviceName", service.service_name}, {"appId", service.app_id},
                                  {"appUuid", service.app_uuid},         {"serviceId", service.service_id},
                                  {"imageId", service.image_id},         {"releaseId", service.release_id},
                                  {"commit", service.commit},            {"image", service.image},
                                  {"composition", composition}};
  if (!service.docker_image_id || (options.image_info.is_object() && options.image_info.contains("Id"))) {
    return service_to_container_create(as_json, options);
  }
  ServiceOptions with_id = options;
  if (!with_id.image_info.is_object()) with_id.image_info = nlohmann::json::object();
  with_id.image_info["Id"] = *service.docker_image_id;
  return service_to_container_create(as_json, with_id);
}

}  // namespace reconcile::compose
