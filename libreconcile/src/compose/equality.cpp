// Whether an existing container already is what the target asks for, so
// that it need not be recreated (balena-supervisor's Service.isEqualConfig).
// Both sides are normalized services; what the engine reports differently
// from what was asked (defaults, order of unordered lists, extra aliases and
// networks, the device name at init) is reduced to one form first.
#include <algorithm>

#include "compose/internal.hpp"

namespace reconcile::compose::detail {
namespace {

// Lists whose order does not matter to the engine. dns and dns_search keep
// their order: resolvers are tried in it.
constexpr const char* kUnorderedLists[] = {"volumes",     "devices",   "cap_add",      "cap_drop", "dns_opt", "tmpfs",
                                           "extra_hosts", "group_add", "security_opt", "ports"};

// Compared separately (networks, network_mode), or not comparable at all
// (hostname follows network_mode; cpus is not reported by every engine;
// depends_on is start order, not container configuration).
constexpr const char* kNotCompared[] = {"networks", "network_mode", "hostname", "cpus", "depends_on", "running"};

json comparable(const json& service) {
  json c = service.value("composition", json::object());
  for (const char* key : kNotCompared) c.erase(key);
  if (c.contains("environment")) {
    for (const char* name : {"BALENA_DEVICE_NAME_AT_INIT", "RESIN_DEVICE_NAME_AT_INIT"}) c["environment"].erase(name);
  }
  // Values the engine reads as unset, or fills in by default.
  const std::pair<const char*, json> defaults[] = {
      {"tty", true},           {"restart", "always"},   {"ipc", "shareable"}, {"shm_size", 64 * 1024 * 1024},
      {"privileged", false},   {"read_only", false},    {"oom_kill_disable", false},
      {"mem_limit", 0},        {"mem_reservation", 0},  {"cpu_shares", 0},    {"cpu_quota", 0},
      {"oom_score_adj", 0},    {"pids_limit", 0},       {"stop_grace_period", 10}};
  for (const auto& [key, value] : defaults) {
    if (c.contains(key) && c[key] == value) c.erase(key);
  }
  if (c.contains("healthcheck") && c["healthcheck"].value("Test", json::array()) == json::array({"NONE"})) {
    c.erase("healthcheck");
  }
  for (const char* key : kUnorderedLists) {
    if (!c.contains(key) || !c[key].is_array()) continue;
    std::vector<json> items(c[key].begin(), c[key].end());
    std::sort(items.begin(), items.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
    c[key] = items;
  }
  drop_empty(c);
  const json image = service.contains("dockerImageId") ? service["dockerImageId"] : service.value("image", json(""));
  return {{"composition", c}, {"image", image}};
}

bool contains_all(const json& have, const json& want) {
  for (const auto& item : want) {
    if (std::find(have.begin(), have.end(), item) == have.end()) return false;
  }
  return true;
}

// Only the target's networks count; on each, the target's aliases must be
// among the current ones and its addresses, when it sets them, the same.
bool same_networks(const json& current, const json& target) {
  for (const auto& [name, want] : target.items()) {
    if (!current.contains(name)) return false;
    const json& have = current[name];
    if (want.contains("aliases") && !contains_all(have.value("aliases", json::array()), want["aliases"])) return false;
    for (const char* key : {"ipv4_address", "ipv6_address", "link_local_ips"}) {
      if (want.contains(key) && (!have.contains(key) || have[key] != want[key])) return false;
    }
  }
  return true;
}

bool same_network_mode(const json& current, const json& target, const std::map<std::string, std::string>& ids) {
  const std::string want = target.value("network_mode", "");
  const std::string have = current.value("network_mode", "");
  if (starts_with(want, "service:")) {
    const auto found = ids.find(want.substr(8));
    return (found != ids.end() && have == fmt::format("container:{}", found->second)) || have == want;
  }
  if (want.empty()) {
    // The engine reports the network the container was created on.
    const json networks = current.value("networks", json::object());
    return have.empty() || have == "default" || have == "bridge" || networks.contains(have);
  }
  return want == have;
}

}  // namespace

}  // namespace reconcile::compose::detail

namespace reconcile::compose {

bool same_service_config(const nlohmann::json& current, const nlohmann::json& target,
                         const std::map<std::string, std::string>& container_ids) {
  using detail::json;
  const json empty = json::object();
  const json& current_c = current.contains("composition") ? current["composition"] : empty;
  const json& target_c = target.contains("composition") ? target["composition"] : empty;
  return detail::comparable(current) == detail::comparable(target) &&
         detail::same_networks(current_c.value("networks", json::object()), target_c.value("networks", json::object())) &&
         detail::same_network_mode(current_c, target_c, container_ids);
}

}  // namespace reconcile::compose
