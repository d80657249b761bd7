// App networks both ways: a compose network (target state) normalized and
// turned into a POST /networks/create body, and an engine network read back
// into the compose form, so the two can be compared key by key. Engine
// networks are named APPUUID_NAME (APPID_NAME for legacy ones).
#include "compose/internal.hpp"

namespace reconcile::compose::detail {
namespace {

json ipam_pool(const json& entry, const std::string& pointer) {
  if (!entry.is_object()) fail(pointer, "must be an object");
  json pool = json::object();
  for (const char* key : {"subnet", "gateway", "ip_range"}) {
    if (entry.contains(key) && !entry[key].is_null()) pool[key] = scalar_text(entry[key], child_pointer(pointer, key));
  }
  if (entry.contains("aux_addresses")) pool["aux_addresses"] = environment_object(entry["aux_addresses"], child_pointer(pointer, "aux_addresses"));
  drop_empty(pool);
  return pool;
}

bool bool_of(const json& value, const std::string& pointer) {
  if (value.is_null()) return false;
  if (!value.is_boolean()) fail(pointer, "must be true or false");
  return value.get<bool>();
}

}  // namespace

json normalize_network_json(const json& network) {
  if (!network.is_object()) fail("", "a network must be an object");
  const json& name = member(network, "name");
  if (!name.is_string() || name.get<std::string>().empty()) fail("/name", "must be a network name");
  const json& app_id = member(network, "appId");
  if (!app_id.is_number_integer()) fail("/appId", "must be an integer");
  const json& app_uuid = member(network, "appUuid");
  if (!app_uuid.is_null() && !app_uuid.is_string()) fail("/appUuid", "must be a string or null");
  const json& given = member(network, "config");
  if (!given.is_null() && !given.is_object()) fail("/config", "must be an object");

  json config = json::object();
  config["driver"] = given.contains("driver") ? scalar_text(given["driver"], "/config/driver") : "bridge";
  config["driver_opts"] = environment_object(member(given, "driver_opts"), "/config/driver_opts");
  config["enable_ipv6"] = bool_of(member(given, "enable_ipv6"), "/config/enable_ipv6");
  config["internal"] = bool_of(member(given, "internal"), "/config/internal");
  config["config_only"] = bool_of(member(given, "config_only"), "/config/config_only");
  const json& ipam = member(given, "ipam");
  if (!ipam.is_null() && !ipam.is_object()) fail("/config/ipam", "must be an object");
  json pools = json::array();
  const json& ipam_config = member(ipam, "config");
  if (!ipam_config.is_null() && !ipam_config.is_array()) fail("/config/ipam/config", "must be a list");
  for (std::size_t i = 0; i < ipam_config.size(); ++i) {
    pools.push_back(ipam_pool(ipam_config[i], child_pointer("/config/ipam/config", i)));
  }
  config["ipam"] = {{"driver", ipam.contains("driver") ? scalar_text(ipam["driver"], "/config/ipam/driver") : "default"},
                    {"options", environment_object(member(ipam, "options"), "/config/ipam/options")},
                    {"config", pools}};
  json labels = normalize_labels(member(given, "labels"), "/config/labels");
  labels["io.balena.app-id"] = fmt::to_string(app_id.get<std::int64_t>());
  if (!pools.empty()) labels["io.balena.private.ipam.config"] = "true";
  config["labels"] = labels;
  return {{"name", name}, {"appId", app_id}, {"appUuid", app_uuid}, {"config", config}};
}

json network_create_body_json(const json& network) {
  const json normalized = normalize_network_json(network);
  const json& config = normalized["config"];
  const std::string prefix = normalized["appUuid"].is_string() ? normalized["appUuid"].get<std::string>()
                                                               : fmt::to_string(normalized["appId"].get<std::int64_t>());
  json pools = json::array();
  for (const auto& pool : config["ipam"]["config"]) {
    json engine = json::object();
    if (pool.contains("subnet")) engine["Subnet"] = pool["subnet"];
    if (pool.contains("gateway")) engine["Gateway"] = pool["gateway"];
    if (pool.contains("ip_range")) engine["IPRange"] = pool["ip_range"];
    if (pool.contains("aux_addresses")) engine["AuxiliaryAddresses"] = pool["aux_addresses"];
    pools.push_back(engine);
  }
  json labels = config["labels"];
  labels["io.balena.supervised"] = "true";
  return {{"Name", fmt::format("{}_{}", prefix, normalized["name"].get<std::string>())},
          {"Driver", config["driver"]},
          {"CheckDuplicate", true},
          {"Options", config["driver_opts"]},
          {"IPAM", {{"Driver", config["ipam"]["driver"]}, {"Options", config["ipam"]["options"]}, {"Config", pools}}},
          {"EnableIPv6", config["enable_ipv6"]},
          {"Internal", config["internal"]},
          {"Labels", labels},
          {"ConfigOnly", config["config_only"]}};
}

json network_from_engine_json(const json& inspect) {
  if (!inspect.is_object()) fail("", "a network inspect must be an object");
  const json& name_json = member(inspect, "Name");
  if (!name_json.is_string()) fail("/Name", "must be a string");
  const std::string engine_name = name_json.get<std::string>();
  const auto underscore = engine_name.find('_');
  if (underscore == std::string::npos || underscore == 0 || underscore + 1 == engine_name.size()) {
    fail("/Name", fmt::format("\"{}\" is not an app network name (APPUUID_NAME)", engine_name));
  }
  const std::string prefix = engine_name.substr(0, underscore);
  json labels = normalize_labels(member(inspect, "Labels"), "/Labels");
  json app_id;
  if (labels.contains("io.balena.app-id") && all_digits(labels["io.balena.app-id"].get<std::string>())) {
    app_id = std::stoll(labels["io.balena.app-id"].get<std::string>());
  } else if (all_digits(prefix) && prefix.size() <= 18) {
    app_id = std::stoll(prefix);
  } else {
    fail("/Labels",
         fmt::format("network \"{}\" has no io.balena.app-id label and no numeric app id prefix", engine_name));
  }
  labels.erase("io.balena.supervised");

  const json& ipam = member(inspect, "IPAM");
  json pools = json::array();
  for (const auto& pool : member(ipam, "Config")) {
    json entry = json::object();
    entry["subnet"] = member(pool, "Subnet");
    entry["gateway"] = member(pool, "Gateway");
    entry["ip_range"] = member(pool, "IPRange");
    entry["aux_addresses"] = member(pool, "AuxiliaryAddresses");
    drop_empty(entry);
    pools.push_back(entry);
  }
  json config = {
      {"driver", member(inspect, "Driver").is_string() ? inspect["Driver"] : json("")},
      {"driver_opts", member(inspect, "Options").is_object() ? inspect["Options"] : json::object()},
      {"enable_ipv6", member(inspect, "EnableIPv6").is_boolean() && inspect["EnableIPv6"].get<bool>()},
      {"internal", member(inspect, "Internal").is_boolean() && inspect["Internal"].get<bool>()},
      {"config_only", member(inspect, "ConfigOnly").is_boolean() && inspect["ConfigOnly"].get<bool>()},
      {"ipam",
       {{"driver", member(ipam, "Driver").is_string() ? ipam["Driver"] : json("default")},
        {"options", member(ipam, "Options").is_object() ? ipam["Options"] : json::object()},
        {"config", pools}}},
      {"labels", labels}};
  json out = {{"name", engine_name.substr(underscore + 1)}, {"appId", app_id}, {"config", config}};
  out["appUuid"] = all_digits(prefix) ? json() : json(prefix);
  return out;
}

}  // namespace reconcile::compose::detail

namespace reconcile::compose {

Parsed<nlohmann::json> normalize_network(const nlohmann::json& network) {
  return detail::guarded([&] { return detail::normalize_network_json(network); });
}

Parsed<nlohmann::json> network_create_body(const nlohmann::json& network) {
  return detail::guarded([&] { return detail::network_create_body_json(network); });
}

Parsed<nlohmann::json> network_from_engine(const nlohmann::json& inspect) {
  return detail::guarded([&] { return detail::network_from_engine_json(inspect); });
}

bool same_network_config(const nlohmann::json& current, const nlohmann::json& target) {
  nlohmann::json mine = current.value("config", nlohmann::json::object());
  const nlohmann::json& theirs = target.value("config", nlohmann::json::object());
  // The engine fills in IPAM pools the target did not ask for.
  if (theirs.contains("ipam") && theirs["ipam"].value("config", nlohmann::json::array()).empty() &&
      mine.contains("ipam")) {
    mine["ipam"]["config"] = nlohmann::json::array();
  }
  // A config-only network has no driver of its own.
  nlohmann::json target_config = theirs;
  if (theirs.value("config_only", false)) {
    mine.erase("driver");
    target_config.erase("driver");
  }
  return mine == target_config;
}

}  // namespace reconcile::compose
