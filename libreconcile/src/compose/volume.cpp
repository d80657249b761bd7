// App volumes both ways: a compose volume normalized and turned into a
// POST /volumes/create body (named APPID_NAME, driver "local" by default,
// the supervisor's labels added), and an engine volume read back. Only the
// driver, its options and the user's labels decide whether a volume must be
// recreated.
#include "compose/internal.hpp"

namespace reconcile::compose::detail {

json normalize_volume_json(const json& volume) {
  if (!volume.is_object()) fail("", "a volume must be an object");
  const json& name = member(volume, "name");
  if (!name.is_string() || name.get<std::string>().empty()) fail("/name", "must be a volume name");
  const json& app_id = member(volume, "appId");
  if (!app_id.is_number_integer()) fail("/appId", "must be an integer");
  const json& app_uuid = member(volume, "appUuid");
  if (!app_uuid.is_null() && !app_uuid.is_string()) fail("/appUuid", "must be a string or null");
  const json& given = member(volume, "config");
  if (!given.is_null() && !given.is_object()) fail("/config", "must be an object");
  json labels = normalize_labels(member(given, "labels"), "/config/labels");
  labels["io.balena.supervised"] = "true";
  if (app_uuid.is_string()) labels["io.balena.app-uuid"] = app_uuid;
  json config = {{"driver", given.contains("driver") ? scalar_text(given["driver"], "/config/driver") : "local"},
                 {"driver_opts", environment_object(member(given, "driver_opts"), "/config/driver_opts")},
                 {"labels", labels}};
  return {{"name", name}, {"appId", app_id}, {"appUuid", app_uuid}, {"config", config}};
}

json volume_create_body_json(const json& volume) {
  const json normalized = normalize_volume_json(volume);
  const json& config = normalized["config"];
  return {{"Name", app_volume_name(normalized["appId"].get<std::int64_t>(), normalized["name"].get<std::string>())},
          {"Driver", config["driver"]},
          {"DriverOpts", config["driver_opts"]},
          {"Labels", config["labels"]}};
}

json volume_from_engine_json(const json& inspect) {
  if (!inspect.is_object()) fail("", "a volume inspect must be an object");
  const json& name_json = member(inspect, "Name");
  if (!name_json.is_string()) fail("/Name", "must be a string");
  const std::string engine_name = name_json.get<std::string>();
  const auto underscore = engine_name.find('_');
  const std::string prefix = underscore == std::string::npos ? "" : engine_name.substr(0, underscore);
  if (!all_digits(prefix) || prefix.size() > 18 || underscore + 1 == engine_name.size()) {
    fail("/Name", fmt::format("\"{}\" is not an app volume name (APPID_NAME)", engine_name));
  }
  const json labels = member(inspect, "Labels").is_object() ? inspect["Labels"] : json::object();
  json app_uuid;
  if (labels.contains("io.balena.app-uuid")) app_uuid = labels["io.balena.app-uuid"];
  json config = {{"driver", member(inspect, "Driver").is_string() ? inspect["Driver"] : json("")},
                 {"driver_opts", member(inspect, "Options").is_object() ? inspect["Options"] : json::object()},
                 {"labels", labels}};
  return {{"name", engine_name.substr(underscore + 1)},
          {"appId", std::stoll(prefix)},
          {"appUuid", app_uuid},
          {"config", config}};
}

}  // namespace reconcile::compose::detail

namespace reconcile::compose {

Parsed<nlohmann::json> normalize_volume(const nlohmann::json& volume) {
  return detail::guarded([&] { return detail::normalize_volume_json(volume); });
}

Parsed<nlohmann::json> volume_create_body(const nlohmann::json& volume) {
  return detail::guarded([&] { return detail::volume_create_body_json(volume); });
}

Parsed<nlohmann::json> volume_from_engine(const nlohmann::json& inspect) {
  return detail::guarded([&] { return detail::volume_from_engine_json(inspect); });
}

bool same_volume_config(const nlohmann::json& current, const nlohmann::json& target) {
  const auto comparable = [](const nlohmann::json& volume) {
    const nlohmann::json config = volume.value("config", nlohmann::json::object());
    nlohmann::json labels = config.value("labels", nlohmann::json::object());
    for (const char* key : {"io.balena.supervised", "io.resin.supervised", "io.balena.app-uuid"}) labels.erase(key);
    return nlohmann::json{{"driver", config.value("driver", "local")},
                          {"driver_opts", config.value("driver_opts", nlohmann::json::object())},
                          {"labels", labels}};
  };
  return comparable(current) == comparable(target);
}

}  // namespace reconcile::compose
