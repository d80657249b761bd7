#include "composition.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "reconcile/compose_json.hpp"

namespace reconcile::detail {
namespace {

// Compose keys compared as sets: their order carries no meaning.
constexpr std::array<std::string_view, 11> kUnorderedKeys{
    "volumes", "devices", "cap_add", "cap_drop", "dns_opt", "expose",
    "extra_hosts", "group_add", "ports", "security_opt", "tmpfs"};

// Keys that do not decide recreation: running is a start/stop, networks are
// compared on their own (the engine adds aliases), depends_on only orders.
constexpr std::array<std::string_view, 3> kNotConfigKeys{"running", "networks", "depends_on"};

bool truthy(std::string_view value) {
  return value == "true" || value == "1" || value == "on" || value == "yes";
}

std::vector<std::string> read_depends_on(const Reader& reader) {
  if (reader.json().is_object()) {  // long syntax: {service: {condition: ...}}
    std::vector<std::string> out;
    for (const auto& [name, options] : reader.json().items()) out.push_back(name);
    return out;
  }
  return reader.as_strings();
}

ServiceNetwork read_service_network(const Reader& reader) {
  ServiceNetwork network;
  if (reader.json().is_null()) return network;
  reader.expect_object();
  if (reader.has("aliases")) network.aliases = reader.at("aliases").as_strings();
  network.ipv4_address = reader.string_or("ipv4_address", "");
  network.ipv6_address = reader.string_or("ipv6_address", "");
  if (reader.has("link_local_ips")) network.link_local_ips = reader.at("link_local_ips").as_strings();
  std::sort(network.aliases.begin(), network.aliases.end());
  return network;
}

std::map<std::string, ServiceNetwork> read_networks(const Reader& reader) {
  std::map<std::string, ServiceNetwork> out;
  if (reader.json().is_array()) {
    for (const std::string& name : reader.as_strings()) out[name] = {};
    return out;
  }
  reader.expect_object();
  for (const auto& [name, options] : reader.json().items()) {
    out[name] = read_service_network(reader.at(name.c_str()));
  }
  return out;
}

// Named volumes only: binds (paths) and anonymous volumes belong to no app
// volume.
std::vector<std::string> read_named_volumes(const Reader& reader) {
  reader.expect_array();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < reader.json().size(); ++i) {
    const Reader item = reader.at(i);
    if (item.json().is_object()) {
      if (item.string_or("type", "volume") == "volume") {
        std::string source = item.string_or("source", "");
        if (!source.empty()) out.push_back(std::move(source));
      }
      continue;
    }
    const std::string spec = item.as_string();
    const auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0) continue;  // anonymous volume
    const char first = spec.front();
    if (first == '/' || first == '.' || first == '~' || first == '$') continue;  // bind mount
    out.push_back(spec.substr(0, colon));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

nlohmann::json map_to_object(const std::map<std::string, std::string>& map) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

std::string make_config_key(nlohmann::json composition) {
  for (std::string_view key : kNotConfigKeys) composition.erase(std::string(key));
  for (std::string_view key : kUnorderedKeys) {
    auto it = composition.find(std::string(key));
    if (it != composition.end() && it->is_array()) std::sort(it->begin(), it->end());
  }
  return composition.dump();
}

}  // namespace

void read_composition(const Reader& composition, Service& service) {
  composition.expect_object();
  nlohmann::json canonical = composition.json();
  ServiceConfig config;

  service.running = composition.bool_or("running", true);
  std::map<std::string, std::string> labels;
  if (composition.has("labels")) {
    labels = composition.at("labels").as_string_map();
    canonical["labels"] = map_to_object(labels);
  }
  if (composition.has("environment")) {
    canonical["environment"] = map_to_object(composition.at("environment").as_string_map());
  }
  config.depends_on.clear();
  if (composition.has("depends_on")) config.depends_on = read_depends_on(composition.at("depends_on"));
  config.network_mode = composition.string_or("network_mode", "");
  constexpr std::string_view kServicePrefix = "service:";
  if (config.network_mode.starts_with(kServicePrefix)) {
    config.depends_on.push_back(config.network_mode.substr(kServicePrefix.size()));
  }
  std::sort(config.depends_on.begin(), config.depends_on.end());
  config.depends_on.erase(std::unique(config.depends_on.begin(), config.depends_on.end()),
                           config.depends_on.end());

  config.networks.clear();
  if (composition.has("networks")) config.networks = read_networks(composition.at("networks"));
  // A service on no named network joins the app's default one, unless it
  // uses another network mode (host, none, service:..., container:...).
  if (config.networks.empty() && (config.network_mode.empty() || config.network_mode == "bridge")) {
    config.networks["default"] = {};
  }
  config.named_volumes.clear();
  if (composition.has("volumes")) config.named_volumes = read_named_volumes(composition.at("volumes"));

  auto label = [&](const char* balena, const char* legacy) -> std::string {
    if (auto it = labels.find(balena); it != labels.end()) return it->second;
    if (auto it = labels.find(legacy); it != labels.end()) return it->second;
    return "";
  };
  config.strategy = parse_update_strategy(label("io.balena.update.strategy", "io.resin.update.strategy"));
  config.requires_reboot =
      truthy(label("io.balena.update.requires-reboot", "io.resin.update.requires-reboot"));
  config.restart = composition.string_or("restart", "");
  config.joins_supervisor_network = compose::joins_supervisor_network(canonical);
  config.uses_supervisor_api = compose::uses_supervisor_api(canonical);

  config.composition = canonical.dump();
  config.config_key = make_config_key(std::move(canonical));
  service.set_config(std::move(config));
}

}  // namespace reconcile::detail
