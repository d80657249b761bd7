// The cloud's v3 target state (shared/reference/balena-supervisor-behaviour.md §2.1).
// Every value that becomes an engine name, a label or a path is checked as it
// is read (intake.hpp, docs/targets.md).
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "intake.hpp"
#include "model_readers.hpp"
#include "reader.hpp"
#include "reconcile/json.hpp"
#include "reconcile/special_apps.hpp"

namespace reconcile {
namespace {

using detail::FieldError;
using detail::NameRule;
using detail::Reader;

Service read_v3_service(const Reader& reader, const std::string& name, const App& app, std::int64_t release_id) {
  reader.expect_object();
  detail::check_engine_name(reader, name, "service name");
  if (!reader.has("image")) reader.fail("needs an image");
  const std::string image = detail::read_image_name(reader.at("image"));

  nlohmann::json service = {{"serviceName", name},
                            {"serviceId", reader.has("id") ? detail::read_id(reader.at("id")) : 0},
                            {"imageId", reader.has("image_id") ? detail::read_id(reader.at("image_id")) : 0},
                            {"image", image},
                            {"releaseId", release_id},
                            {"commit", app.commit.value_or("")}};
  nlohmann::json composition = nlohmann::json::object();
  const Reader compose_keys = reader.has("composition") ? reader.at("composition") : reader;
  if (reader.has("composition")) {
    compose_keys.expect_object();
    composition = compose_keys.json();
  }
  // environment, labels and running stand beside composition and win.
  if (reader.has("environment")) {
    composition["environment"] = detail::read_string_object(reader.at("environment"), NameRule::EnvironmentVariable);
  }
  if (reader.has("labels")) {
    composition["labels"] = detail::read_string_object(reader.at("labels"), NameRule::Label);
  }
  if (reader.has("running")) composition["running"] = reader.at("running").as_bool();
  service["composition"] = std::move(composition);
  // Errors in the compose keys point where the cloud wrote them: inside
  // `composition` when there is one (json_intake_fuzzer found pointers to
  // .../services/<name>/restart that were not in the document).
  const auto where = reader.has("composition") ? detail::ComposeKeys::Nested : detail::ComposeKeys::Inline;
  Service read = detail::read_service(Reader(service, reader.pointer()), false, 0, &app, where);
  detail::check_service_references(compose_keys, read);
  return read;
}

App read_v3_app(const Reader& reader, const std::string& uuid) {
  reader.expect_object();
  detail::check_engine_name(reader, uuid, "app uuid");
  App app;
  app.app_uuid = uuid;
  if (!reader.has("id")) reader.fail("needs an id");
  app.app_id = detail::read_id(reader.at("id"));
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
  const Reader release = releases.at(commit);
  detail::check_commit(release, commit);
  release.expect_object();
  app.commit = commit;
  const std::int64_t release_id = release.has("id") ? detail::read_id(release.at("id")) : 0;
  app.release_id = release_id;
  if (release.has("services")) {
    const Reader services = release.at("services");
    services.expect_object();
    for (const auto& [name, value] : services.json().items()) {
      if (is_balena_supervisor_service(uuid, name) || (app.is_host && !host_app_runs(value))) continue;
      app.services.push_back(read_v3_service(services.at(name), name, app, release_id));
    }
    if (const auto cycle = detail::find_dependency_cycle(app)) {
      services.fail(fmt::format("depends_on forms a cycle through service '{}'", app.services[*cycle].service_name));
    }
  }
  if (release.has("networks")) {
    detail::read_named_components(release.at("networks"), app, app.networks, detail::read_network_config,
                                  "network name");
  }
  if (release.has("volumes")) {
    detail::read_named_components(release.at("volumes"), app, app.volumes, detail::read_volume_config,
                                  "volume name");
  }
  return app;
}

}  // namespace

Parsed<CloudTargetState> parse_target_state_v3(const nlohmann::json& json, const std::string& device_uuid) {
  try {
    const Reader root(json, "");
    root.expect_object();
    if (!root.has(device_uuid.c_str())) root.fail(fmt::format("has no entry for this device ({})", device_uuid));
    const Reader device = root.at(device_uuid);
    device.expect_object();
    CloudTargetState state;
    if (device.has("name")) state.name = detail::read_device_name(device.at("name"));
    if (device.has("config")) state.config = detail::read_string_object(device.at("config"), NameRule::ConfigVariable);
    if (device.has("apps")) {
      const Reader apps = device.at("apps");
      apps.expect_object();
      std::set<AppId> ids;
      for (const auto& [uuid, value] : apps.json().items()) {
        state.target.apps.push_back(read_v3_app(apps.at(uuid), uuid));
        if (!ids.insert(state.target.apps.back().app_id).second) {
          apps.at(uuid).fail(fmt::format("app id {} appears twice", state.target.apps.back().app_id));
        }
      }
    }
    return state;
  } catch (const FieldError& error) {
    return ParseError{error.pointer, error.message};
  }
}

}  // namespace reconcile
