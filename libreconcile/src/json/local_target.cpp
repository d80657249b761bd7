// The local-mode target state body (POST /v2/local/target-state). Every
// value that becomes an engine name, a label or a path is checked as it is
// read (intake.hpp, docs/targets.md).
#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "intake.hpp"
#include "model_readers.hpp"
#include "reader.hpp"
#include "reconcile/json.hpp"

namespace reconcile {
namespace {

using detail::FieldError;
using detail::IdText;
using detail::NameRule;
using detail::Reader;

// Service keys that are not compose configuration.
constexpr std::array<std::string_view, 8> kServiceKeys{
    "serviceName", "serviceId", "imageId", "image", "environment", "labels", "running", "contract"};

// An id given as an object key ("apps": {"<appId>": ...}).
std::int64_t key_id(const Reader& reader, const std::string& key) {
  const nlohmann::json text = key;
  return detail::read_id(Reader(text, detail::child_pointer(reader.pointer(), key)), IdText::Allowed);
}

Service read_local_service(const Reader& reader, const App& app, std::int64_t release_id,
                           std::int64_t service_key) {
  reader.expect_object();
  nlohmann::json service = nlohmann::json::object();
  nlohmann::json composition = nlohmann::json::object();
  for (const auto& [key, value] : reader.json().items()) {
    const bool own = std::find(kServiceKeys.begin(), kServiceKeys.end(), key) != kServiceKeys.end();
    (own ? service : composition)[key] = value;
  }
  service.erase("contract");
  if (!service.contains("serviceName")) reader.fail("needs a serviceName");
  if (!service.contains("image")) reader.fail("needs an image");
  service["serviceName"] = detail::read_engine_name(reader.at("serviceName"), "service name");
  service["image"] = detail::read_image_name(reader.at("image"));
  // The CLI sends some ids as strings ("serviceId": "1").
  service["serviceId"] = service.contains("serviceId") ? detail::read_id(reader.at("serviceId"), IdText::Allowed)
                                                       : service_key;
  if (service.contains("imageId")) service["imageId"] = detail::read_id(reader.at("imageId"), IdText::Allowed);
  if (service.contains("environment")) {
    service["environment"] = detail::read_string_object(reader.at("environment"), NameRule::EnvironmentVariable);
  }
  if (service.contains("labels")) {
    service["labels"] = detail::read_string_object(reader.at("labels"), NameRule::Label);
  }
  service["releaseId"] = release_id;
  service["commit"] = app.commit.value_or("");
  service["composition"] = std::move(composition);
  // Errors inside name the body's own fields: same pointer as the service.
  Service read = detail::read_service(Reader(service, reader.pointer()), false, 0, &app,
                                      detail::ComposeKeys::Inline);
  detail::check_service_references(reader, read);
  return read;
}

App read_local_app(const Reader& reader, std::int64_t app_id) {
  reader.expect_object();
  App app;
  app.app_id = app_id;
  app.app_uuid = fmt::to_string(app_id);
  app.name = reader.string_or("name", "");
  app.commit = reader.has("commit") ? detail::read_commit(reader.at("commit")) : "";
  const std::int64_t release_id =
      reader.has("releaseId") ? detail::read_id(reader.at("releaseId"), IdText::Allowed) : 1;
  app.release_id = release_id;
  if (reader.has("services")) {
    const Reader services = reader.at("services");
    services.expect_object();
    for (const auto& [key, value] : services.json().items()) {
      const std::int64_t service_key = key_id(services, key);
      app.services.push_back(read_local_service(services.at(key), app, release_id, service_key));
      const auto& added = app.services.back();
      const auto twice = std::count_if(app.services.begin(), app.services.end(),
                                       [&](const Service& s) { return s.service_name == added.service_name; });
      if (twice > 1) services.at(key).fail(fmt::format("service '{}' appears twice", added.service_name));
    }
    if (const auto cycle = detail::find_dependency_cycle(app)) {
      reader.at("services").fail(
          fmt::format("depends_on forms a cycle through service '{}'", app.services[*cycle].service_name));
    }
  }
  if (reader.has("networks")) {
    detail::read_named_components(reader.at("networks"), app, app.networks, detail::read_network_config,
                                  "network name");
  }
  if (reader.has("volumes")) {
    detail::read_named_components(reader.at("volumes"), app, app.volumes, detail::read_volume_config,
                                  "volume name");
  }
  return app;
}

}  // namespace

Parsed<LocalTargetState> parse_local_target_state(const nlohmann::json& json) {
  try {
    const Reader root(json, "");
    root.expect_object();
    if (!root.has("local")) root.fail("needs a 'local' object");
    const Reader local = root.at("local");
    local.expect_object();
    LocalTargetState state;
    if (local.has("name")) state.name = detail::read_device_name(local.at("name"));
    if (local.has("config")) state.config = detail::read_string_object(local.at("config"), NameRule::ConfigVariable);
    if (local.has("apps")) {
      const Reader apps = local.at("apps");
      apps.expect_object();
      for (const auto& [key, value] : apps.json().items()) {
        state.target.apps.push_back(read_local_app(apps.at(key), key_id(apps, key)));
      }
    }
    if (root.has("force")) {
      const auto& force = root.json().at("force");
      // The API's truthy values: true, 1, "true", "1", "on".
      state.force = force == true || force == 1 || force == "true" || force == "1" || force == "on";
    }
    return state;
  } catch (const FieldError& error) {
    return ParseError{error.pointer, error.message};
  }
}

}  // namespace reconcile
