#include "engine/runtime/container_spec.hpp"

#include <algorithm>

namespace engine {
namespace {

using nlohmann::json;

// Compose's short volume syntax: named volumes are namespaced per app.
std::string volume_bind(const std::string& spec, reconcile::AppId app) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return "";  // anonymous volume: goes to Volumes
  const std::string source = spec.substr(0, colon);
  const char first = source.front();
  const bool path = first == '/' || first == '.' || first == '~' || first == '$';
  return (path ? source : std::to_string(app) + "_" + source) + spec.substr(colon);
}

json as_list(const json& value) {
  if (value.is_string()) return json::array({"/bin/sh", "-c", value});
  return value;
}

// "8080", "80:8080", "127.0.0.1:80:8080/udp" -> ExposedPorts and PortBindings.
Status add_port(const std::string& spec, json& exposed, json& bindings) {
  std::string rest = spec;
  std::string protocol = "tcp";
  if (const auto slash = rest.find('/'); slash != std::string::npos) {
    protocol = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string host_ip;
  std::string host_port;
  std::string container_port = rest;
  if (const auto last = rest.rfind(':'); last != std::string::npos) {
    container_port = rest.substr(last + 1);
    const std::string host = rest.substr(0, last);
    if (const auto first = host.rfind(':'); first != std::string::npos) {
      host_ip = host.substr(0, first);
      host_port = host.substr(first + 1);
    } else {
      host_port = host;
    }
  } else {
    host_port = container_port;  // balena publishes a bare port on the same host port
  }
  if (container_port.empty() || !std::all_of(container_port.begin(), container_port.end(), ::isdigit)) {
    return Status::failure("port '" + spec + "' is not a port mapping this supervisor understands");
  }
  const std::string key = container_port + "/" + protocol;
  exposed[key] = json::object();
  json binding = {{"HostIp", host_ip}, {"HostPort", host_port}};
  bindings[key].push_back(binding);
  return Status::success();
}

}  // namespace

Status container_create_body(const reconcile::Service& target, const ContainerSpecOptions& options, json& body) {
  const json compose = json::parse(target.config().composition, nullptr, false);
  if (!compose.is_object()) return Status::failure("the service's composition is not an object");

  json env = json::object();
  // What the supervisor tells every service about itself (user values win).
  const std::pair<const char*, std::string> injected[] = {
      {"APP_ID", std::to_string(target.app_id)}, {"APP_UUID", target.app_uuid},
      {"APP_NAME", options.app_name},            {"SERVICE_NAME", target.service_name},
      {"DEVICE_UUID", options.device_uuid},      {"DEVICE_TYPE", options.device_type},
      {"DEVICE_ARCH", options.device_arch},      {"HOST_OS_VERSION", options.os_version},
      {"APP_LOCK_PATH", "/tmp/balena/updates.lock"},
      {"DEVICE_NAME_AT_INIT", options.device_name}};
  env["BALENA"] = "1";
  env["RESIN"] = "1";
  env["USER"] = "root";
  for (const auto& [key, value] : injected) {
    env[std::string("BALENA_") + key] = value;
    env[std::string("RESIN_") + key] = value;
  }
  env["BALENA_SERVICE_HANDOVER_COMPLETE_PATH"] = "/tmp/balena/handover-complete";
  env["RESIN_SERVICE_KILL_ME_PATH"] = "/tmp/balena/handover-complete";
  const json user_env = compose.value("environment", json::object());
  for (const auto& [key, value] : user_env.items()) env[key] = value;
  json env_list = json::array();
  for (const auto& [key, value] : env.items()) {
    env_list.push_back(key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
  }

  json host = {{"NetworkMode", "bridge"}};
  const std::string restart = compose.value("restart", "always");
  const bool known = restart == "no" || restart == "always" || restart == "on-failure" || restart == "unless-stopped";
  host["RestartPolicy"] = {{"Name", known ? restart : "always"}, {"MaximumRetryCount", 0}};
  json binds = json::array();
  json anonymous = json::object();
  const json volumes = compose.value("volumes", json::array());
  for (const auto& volume : volumes) {
    if (volume.is_object()) {
      const std::string source = volume.value("source", "");
      const std::string target_path = volume.value("target", "");
      const bool read_only = volume.value("readOnly", volume.value("read_only", false));
      if (volume.value("type", "volume") == "volume" && !source.empty()) {
        binds.push_back(std::to_string(target.app_id) + "_" + source + ":" + target_path + (read_only ? ":ro" : ""));
      } else if (volume.value("type", "") == "bind") {
        binds.push_back(source + ":" + target_path + (read_only ? ":ro" : ""));
      }
      continue;
    }
    if (!volume.is_string()) continue;
    const std::string bind = volume_bind(volume.get<std::string>(), target.app_id);
    if (bind.empty()) anonymous[volume.get<std::string>()] = json::object();
    else binds.push_back(bind);
  }
  host["Binds"] = binds;
  json exposed = json::object();
  json port_bindings = json::object();
  const json ports = compose.value("ports", json::array());
  for (const auto& port : ports) {
    const std::string spec = port.is_string() ? port.get<std::string>() : port.dump();
    if (Status added = add_port(spec, exposed, port_bindings); !added.ok()) return added;
  }
  host["PortBindings"] = port_bindings;
  host["Privileged"] = compose.value("privileged", false);
  for (const char* key : {"cap_add", "cap_drop", "dns", "dns_search", "security_opt", "group_add", "extra_hosts"}) {
    if (!compose.contains(key)) continue;
    static const std::map<std::string, std::string> engine_keys = {
        {"cap_add", "CapAdd"},         {"cap_drop", "CapDrop"},   {"dns", "Dns"},
        {"dns_search", "DnsSearch"},   {"security_opt", "SecurityOpt"},
        {"group_add", "GroupAdd"},     {"extra_hosts", "ExtraHosts"}};
    host[engine_keys.at(key)] = compose[key];
  }
  if (compose.contains("devices")) {
    json devices = json::array();
    for (const auto& device : compose["devices"]) {
      if (!device.is_string()) continue;
      const std::string spec = device.get<std::string>();
      const auto colon = spec.find(':');
      const std::string from = spec.substr(0, colon);
      const std::string to = colon == std::string::npos ? from : spec.substr(colon + 1);
      devices.push_back({{"PathOnHost", from}, {"PathInContainer", to.substr(0, to.find(':'))},
                         {"CgroupPermissions", "rwm"}});
    }
    host["Devices"] = devices;
  }

  json endpoints = json::object();
  const std::string network_mode = compose.value("network_mode", "");
  if (!network_mode.empty() && network_mode != "bridge") {
    host["NetworkMode"] = network_mode;
  } else {
    bool primary = true;
    for (const auto& [name, options_of] : target.config().networks) {
      const std::string engine_name = target.app_uuid + "_" + name;
      json aliases = json::array({target.service_name});
      for (const auto& alias : options_of.aliases) aliases.push_back(alias);
      json endpoint = {{"Aliases", aliases}};
      if (!options_of.ipv4_address.empty() || !options_of.ipv6_address.empty()) {
        json ipam = json::object();
        if (!options_of.ipv4_address.empty()) ipam["IPv4Address"] = options_of.ipv4_address;
        if (!options_of.ipv6_address.empty()) ipam["IPv6Address"] = options_of.ipv6_address;
        endpoint["IPAMConfig"] = ipam;
      }
      if (primary) host["NetworkMode"] = engine_name;
      primary = false;
      endpoints[engine_name] = endpoint;
    }
  }

  json labels = json::object();
  const json user_labels = compose.value("labels", json::object());
  for (const auto& [key, value] : user_labels.items()) labels[key] = value;

  body = {{"Image", target.image},
          {"Env", env_list},
          {"Labels", labels},
          {"Tty", compose.value("tty", true)},
          {"ExposedPorts", exposed},
          {"Volumes", anonymous},
          {"HostConfig", host},
          {"NetworkingConfig", {{"EndpointsConfig", endpoints}}}};
  if (compose.contains("command")) body["Cmd"] = as_list(compose["command"]);
  if (compose.contains("entrypoint")) body["Entrypoint"] = as_list(compose["entrypoint"]);
  if (compose.contains("working_dir")) body["WorkingDir"] = compose["working_dir"];
  if (compose.contains("user")) body["User"] = compose["user"];
  if (compose.contains("hostname")) body["Hostname"] = compose["hostname"];
  if (compose.contains("stop_signal")) body["StopSignal"] = compose["stop_signal"];
  return Status::success();
}

}  // namespace engine
