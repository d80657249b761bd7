// A container read back from GET /containers/{id}/json into the normalized
// service form, as balena-supervisor's Service.fromDockerContainer does:
// identity from the labels and the container name, compose keys from
// Config and HostConfig. Values the engine fills in by itself (its own id
// as an alias, SELinux label= options, zero limits) are not read back, so
// that a container compares equal to the service it was created from.
#include "compose/internal.hpp"
#include "reconcile/status.hpp"

namespace reconcile::compose::detail {
namespace {

std::string text(const json& object, const char* key) {
  const json& value = member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::int64_t label_int(const json& labels, const char* key, const char* pointer) {
  if (!labels.contains(key)) fail(pointer, fmt::format("the container has no {} label", key));
  const auto value = labels[key].get<std::string>();
  if (!all_digits(value) || value.size() > 18) fail(pointer, fmt::format("label {} is not a number", key));
  return std::stoll(value);
}

std::vector<std::string> split_underscores(const std::string& name) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto pos = name.find('_', start);
    parts.push_back(name.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return parts;
}

// SERVICENAME_IMAGEID_RELEASEID[_COMMIT]: the last pair of numeric parts
// that leaves a non-empty service name.
void parse_name(const std::string& raw, json& service) {
  const std::string name = starts_with(raw, "/") ? raw.substr(1) : raw;
  const auto parts = split_underscores(name);
  // Greedy service name: the last pair of numeric parts after at least one
  // name part. Commits are hex and hold no underscore.
  for (std::size_t release = parts.size() - 1; release >= 2; --release) {
    const std::size_t image = release - 1;
    const bool ids = all_digits(parts[image]) && all_digits(parts[release]) && parts[image].size() <= 18 &&
                     parts[release].size() <= 18;
    if (!ids) continue;
    service["imageId"] = std::stoll(parts[image]);
    service["releaseId"] = std::stoll(parts[release]);
    const auto commit_parts = parts.begin() + static_cast<std::ptrdiff_t>(release + 1);
    const std::string commit = fmt::format("{}", fmt::join(commit_parts, parts.end(), "_"));
    if (!commit.empty()) service["commit"] = commit;
    return;
  }
  fail("/Name", fmt::format("\"{}\" is not a supervisor container name (SERVICENAME_IMAGEID_RELEASEID_COMMIT)", raw));
}

json networks_from_engine(const json& networks, const std::string& container_id) {
  json out = json::object();
  if (!networks.is_object()) return out;
  const std::string short_id = container_id.substr(0, 12);
  for (const auto& [name, endpoint] : networks.items()) {
    json network = json::object();
    json aliases = json::array();
    for (const auto& alias : member(endpoint, "Aliases")) {
      if (!alias.is_string()) continue;
      const auto value = alias.get<std::string>();
      if (value == container_id || value == short_id) continue;
      aliases.push_back(value);
    }
    network["aliases"] = aliases;
    const json& ipam = member(endpoint, "IPAMConfig");
    network["ipv4_address"] = text(ipam, "IPv4Address");
    network["ipv6_address"] = text(ipam, "IPv6Address");
    network["link_local_ips"] = member(ipam, "LinkLocalIPs").is_array() ? ipam["LinkLocalIPs"] : json::array();
    drop_empty(network);
    out[name] = network;
  }
  return out;
}

json healthcheck_from_engine(const json& check) {
  if (!check.is_object()) return nullptr;
  json out = json::object();
  for (const auto& [key, value] : check.items()) {
    const bool zero = value.is_null() || (value.is_number() && value.get<double>() == 0) ||
                      (value.is_array() && value.empty());
    if (!zero) out[key] = value;
  }
  return out;
}

}  // namespace

json service_from_container_json(const json& inspect) {
  if (!inspect.is_object()) fail("", "a container inspect must be an object");
  const json& config = member(inspect, "Config");
  const json& host = member(inspect, "HostConfig");
  const json& state = member(inspect, "State");
  const json labels = normalize_labels(member(config, "Labels"), "/Config/Labels");

  json service = json::object();
  if (!labels.contains("io.balena.service-name")) {
    fail("/Config/Labels", "the container has no io.balena.service-name label");
  }
  service["serviceName"] = labels["io.balena.service-name"];
  service["appId"] = label_int(labels, "io.balena.app-id", "/Config/Labels");
  if (labels.contains("io.balena.app-uuid")) service["appUuid"] = labels["io.balena.app-uuid"];
  service["serviceId"] = label_int(labels, "io.balena.service-id", "/Config/Labels");
  parse_name(text(inspect, "Name"), service);
  const std::string id = text(inspect, "Id");
  service["containerId"] = id;
  service["image"] = text(config, "Image");
  if (const auto image_id = text(inspect, "Image"); !image_id.empty()) service["dockerImageId"] = image_id;
  const bool running = member(state, "Running").is_boolean() && state["Running"].get<bool>();
  const std::string status = text(state, "Status");
  service["running"] = running;
  service["status"] = to_string(status_from_engine_state(running ? "running" : status));
  if (const auto created = text(inspect, "Created"); !created.empty()) service["createdAt"] = created;

  json c = json::object();
  json env = environment_object(member(config, "Env"), "/Config/Env");
  c["environment"] = env;
  c["labels"] = labels;
  c["command"] = member(config, "Cmd");
  c["entrypoint"] = member(config, "Entrypoint");
  c["working_dir"] = text(config, "WorkingDir");
  c["user"] = text(config, "User");
  c["domainname"] = text(config, "Domainname");
  c["stop_signal"] = text(config, "StopSignal");
  if (const json& tty = member(config, "Tty"); tty.is_boolean()) c["tty"] = tty;
  c["healthcheck"] = healthcheck_from_engine(member(config, "Healthcheck"));
  if (const json& timeout = member(config, "StopTimeout"); timeout.is_number() && timeout.get<std::int64_t>() != 0) {
    c["stop_grace_period"] = timeout;
  }

  c["networks"] = networks_from_engine(member(member(inspect, "NetworkSettings"), "Networks"), id);
  c["network_mode"] = text(host, "NetworkMode");
  c["volumes"] = volumes_from_engine(member(host, "Binds"), member(config, "Volumes"), member(host, "Mounts"));
  json tmpfs = json::array();
  if (member(host, "Tmpfs").is_object()) {
    for (const auto& [path, _] : host["Tmpfs"].items()) tmpfs.push_back(path);
  }
  c["tmpfs"] = tmpfs;
  c["ports"] = ports_from_engine(member(host, "PortBindings"));
  json security = json::array();
  for (const auto& option : member(host, "SecurityOpt")) {
    if (option.is_string() && !starts_with(option.get<std::string>(), "label=")) security.push_back(option);
  }
  c["security_opt"] = security;
  if (const json& init = member(host, "Init"); init.is_boolean()) c["init"] = init;
  c["device_requests"] = member(host, "DeviceRequests");

  const std::pair<const char*, const char*> lists[] = {{"cap_add", "CapAdd"},         {"cap_drop", "CapDrop"},
                                                       {"dns", "Dns"},                {"dns_opt", "DnsOptions"},
                                                       {"dns_search", "DnsSearch"},   {"extra_hosts", "ExtraHosts"},
                                                       {"group_add", "GroupAdd"}};
  for (const auto& [key, engine] : lists) {
    if (member(host, engine).is_array()) c[key] = host[engine];
  }
  json devices = json::array();
  for (const auto& device : member(host, "Devices")) {
    std::string spec = fmt::format("{}:{}", text(device, "PathOnHost"), text(device, "PathInContainer"));
    if (const auto permissions = text(device, "CgroupPermissions"); !permissions.empty()) {
      spec += fmt::format(":{}", permissions);
    }
    devices.push_back(spec);
  }
  c["devices"] = devices;
  // Booleans and numbers: only when set (false and 0 are the engine's "unset").
  const std::pair<const char*, const char*> flags[] = {
      {"privileged", "Privileged"}, {"read_only", "ReadonlyRootfs"}, {"oom_kill_disable", "OomKillDisable"}};
  for (const auto& [key, engine] : flags) {
    if (member(host, engine).is_boolean() && host[engine].get<bool>()) c[key] = true;
  }
  const std::pair<const char*, const char*> numbers[] = {
      {"mem_limit", "Memory"},      {"mem_reservation", "MemoryReservation"}, {"shm_size", "ShmSize"},
      {"cpu_shares", "CpuShares"},  {"cpu_quota", "CpuQuota"},               {"oom_score_adj", "OomScoreAdj"},
      {"pids_limit", "PidsLimit"}};
  for (const auto& [key, engine] : numbers) {
    if (member(host, engine).is_number() && host[engine].get<std::int64_t>() != 0) c[key] = host[engine];
  }
  if (member(host, "NanoCpus").is_number() && host["NanoCpus"].get<std::int64_t>() != 0) {
    c["cpus"] = static_cast<double>(host["NanoCpus"].get<std::int64_t>()) / 1e9;
  }
  const std::pair<const char*, const char*> strings[] = {
      {"cpuset", "CpusetCpus"}, {"cgroup_parent", "CgroupParent"}, {"pid", "PidMode"},
      {"userns_mode", "UsernsMode"}, {"ipc", "IpcMode"}};
  for (const auto& [key, engine] : strings) c[key] = text(host, engine);
  if (member(host, "Sysctls").is_object()) c["sysctls"] = host["Sysctls"];
  const json& restart = member(host, "RestartPolicy");
  std::string policy = text(restart, "Name");
  if (policy.empty()) policy = "no";
  if (policy == "on-failure" && member(restart, "MaximumRetryCount").is_number() &&
      restart["MaximumRetryCount"].get<std::int64_t>() > 0) {
    policy += fmt::format(":{}", restart["MaximumRetryCount"].get<std::int64_t>());
  }
  if (!restart.is_null()) c["restart"] = policy;
  const std::string hostname = text(config, "Hostname");
  // The engine names a container after its short id when no hostname was given.
  if (!hostname.empty() && !starts_with(id, hostname)) c["hostname"] = hostname;

  drop_empty(c);
  if (c.contains("healthcheck") && c["healthcheck"].empty()) c.erase("healthcheck");
  service["composition"] = c;
  return service;
}

}  // namespace reconcile::compose::detail

namespace reconcile::compose {

Parsed<nlohmann::json> service_from_container(const nlohmann::json& inspect) {
  return detail::guarded([&] { return detail::service_from_container_json(inspect); });
}

}  // namespace reconcile::compose
