// The cloud's v3 target state (shared/reference/balena-supervisor-behaviour.md §2.1).
#include <algorithm>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "model_readers.hpp"
#include "reader.hpp"
#include "reconcile/json.hpp"

namespace reconcile {
namespace {

using detail::FieldError;
using detail::Reader;

bool matches(const std::string& text, const std::regex& pattern) { return std::regex_match(text, pattern); }

void check_names(const Reader& reader, const std::map<std::string, std::string>& map, const std::regex& pattern,
                 const char* what) {
  for (const auto& [name, value] : map) {
    if (!matches(name, pattern)) reader.fail(fmt::format("'{}' is not a valid {} name", name, what));
  }
}

Service read_v3_service(const Reader& reader, const std::string& name, const App& app, std::int64_t release_id) {
  static const std::regex service_name(R"([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
  static const std::regex env_name(R"([A-Za-z_][A-Za-z0-9_]*)");
  static const std::regex label_name(R"([\x21-\x7e]+)");
  reader.expect_object();
  if (!matches(name, service_name)) reader.fail(fmt::format("'{}' is not a valid service name", name));
  if (!reader.has("image")) reader.fail("needs an image");
  const std::string image = reader.at("image").as_string();
  if (image.empty() || image.size() > 255) reader.at("image").fail("must hold 1 to 255 characters");

  nlohmann::json service = {{"serviceName", name},
                            {"serviceId", reader.has("id") ? reader.at("id").as_int() : 0},
                            {"imageId", reader.has("image_id") ? reader.at("image_id").as_int() : 0},
                            {"image", image},
                            {"releaseId", release_id},
                            {"commit", app.commit.value_or("")}};
  nlohmann::json composition = nlohmann::json::object();
  if (reader.has("composition")) {
    const Reader given = reader.at("composition");
    given.expect_object();
    composition = given.json();
  }
  // environment, labels and running stand beside composition and win.
  if (reader.has("environment")) {
    const auto environment = reader.at("environment").as_string_map();
    check_names(reader.at("environment"), environment, env_name, "environment variable");
    composition["environment"] = environment;
  }
  if (reader.has("labels")) {
    const auto labels = reader.at("labels").as_string_map();
    check_names(reader.at("labels"), labels, label_name, "label");
    composition["labels"] = labels;
  }
  if (reader.has("running")) composition["running"] = reader.at("running").as_bool();
  service["composition"] = std::move(composition);
  return detail::read_service(Reader(service, reader.pointer()), false, 0, &app, detail::ComposeKeys::Inline);
}

App read_v3_app(const Reader& reader, const std::string& uuid) {
  reader.expect_object();
  App app;
  app.app_uuid = uuid;
  if (!reader.has("id")) reader.fail("needs an id");
  app.app_id = reader.at("id").as_int();
  app.name = reader.string_or("name", "");
  app.is_host = reader.bool_or("is_host", false);
  const std::string app_class = reader.string_or("class", "fleet");
  if (app_class != "fleet" && app_class != "app" && app_class != "block") {
    reader.at("class").fail(fmt::format("must be fleet, app or block, not '{}'", app_class));
  }
  if (!reader.has("releases")) return app;
  const Reader releases = reader.at("releases");
  releases.expect_object();
  if (releases.json().empty()) return app;
  // Only the first release counts. The cloud sends one; with several, the
  // parsed object's key order (sorted) decides, not the text's.
  const std::string commit = releases.json().begin().key();
  const Reader release = releases.at(commit.c_str());
  release.expect_object();
  app.commit = commit;
  const std::int64_t release_id = release.has("id") ? release.at("id").as_int() : 0;
  app.release_id = release_id;
  if (release.has("services")) {
    const Reader services = release.at("services");
    services.expect_object();
    for (const auto& [name, value] : services.json().items()) {
      app.services.push_back(read_v3_service(services.at(name.c_str()), name, app, release_id));
    }
    if (const auto cycle = detail::find_dependency_cycle(app)) {
      services.fail(fmt::format("depends_on forms a cycle through service '{}'", app.services[*cycle].service_name));
    }
  }
  if (release.has("networks")) {
    detail::read_named_components(release.at("networks"), app, app.networks, detail::read_network_config);
  }
  if (release.has("volumes")) {
    detail::read_named_components(release.at("volumes"), app, app.volumes, detail::read_volume_config);
  }
  return app;
}

}  // namespace

Parsed<CloudTargetState> parse_target_state_v3(const nlohmann::json& json, const std::string& device_uuid) {
  static const std::regex config_name(R"([A-Za-z_][A-Za-z0-9_:]*)");
  try {
    const Reader root(json, "");
    root.expect_object();
    if (!root.has(device_uuid.c_str())) root.fail(fmt::format("has no entry for this device ({})", device_uuid));
    const Reader device = root.at(device_uuid.c_str());
    device.expect_object();
    CloudTargetState state;
    state.name = device.string_or("name", "");
    if (state.name.size() > 255 || state.name.find('\n') != std::string::npos) {
      device.at("name").fail("must be at most 255 characters on one line");
    }
    if (device.has("config")) {
      state.config = device.at("config").as_string_map();
      check_names(device.at("config"), state.config, config_name, "configuration variable");
    }
    if (device.has("apps")) {
      const Reader apps = device.at("apps");
      apps.expect_object();
      std::set<AppId> ids;
      for (const auto& [uuid, value] : apps.json().items()) {
        state.target.apps.push_back(read_v3_app(apps.at(uuid.c_str()), uuid));
        if (!ids.insert(state.target.apps.back().app_id).second) {
          apps.at(uuid.c_str()).fail(fmt::format("app id {} appears twice", state.target.apps.back().app_id));
        }
      }
    }
    return state;
  } catch (const FieldError& error) {
    return ParseError{error.pointer, error.message};
  }
}

}  // namespace reconcile
