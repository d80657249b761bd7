// The local-mode target state body (POST /v2/local/target-state).
#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "model_readers.hpp"
#include "reader.hpp"
#include "reconcile/json.hpp"

namespace reconcile {
namespace {

using detail::FieldError;
using detail::Reader;

// Service keys that are not compose configuration.
constexpr std::array<std::string_view, 8> kServiceKeys{
    "serviceName", "serviceId", "imageId", "image", "environment", "labels", "running", "contract"};

std::int64_t read_id(const Reader& reader) {
  // The CLI sends some ids as strings ("releaseId": "1").
  if (reader.json().is_string()) {
    const std::string text = reader.as_string();
    std::int64_t value = 0;
    const bool digits = !text.empty() && text.size() < 19 &&
                        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) reader.fail(fmt::format("must be an integer, not '{}'", text));
    for (char c : text) value = value * 10 + (c - '0');
    return value;
  }
  return reader.as_int();
}

std::int64_t key_id(const Reader& reader, const std::string& key, const char* what) {
  const nlohmann::json text = key;
  return read_id(Reader(text, fmt::format("{} ({})", detail::child_pointer(reader.pointer(), key), what)));
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
  if (service.contains("serviceId")) service["serviceId"] = read_id(reader.at("serviceId"));
  else service["serviceId"] = service_key;
  if (service.contains("imageId")) service["imageId"] = read_id(reader.at("imageId"));
  if (!service.contains("serviceName")) reader.fail("needs a serviceName");
  if (!service.contains("image")) reader.fail("needs an image");
  service["releaseId"] = release_id;
  service["commit"] = app.commit.value_or("");
  service["composition"] = std::move(composition);
  // Errors inside name the body's own fields: same pointer as the service.
  return detail::read_service(Reader(service, reader.pointer()), false, 0, &app,
                              detail::ComposeKeys::Inline);
}

App read_local_app(const Reader& reader, std::int64_t app_id) {
  reader.expect_object();
  App app;
  app.app_id = app_id;
  app.app_uuid = fmt::to_string(app_id);
  app.name = reader.string_or("name", "");
  app.commit = reader.string_or("commit", "");
  const std::int64_t release_id = reader.has("releaseId") ? read_id(reader.at("releaseId")) : 1;
  app.release_id = release_id;
  if (reader.has("services")) {
    const Reader services = reader.at("services");
    services.expect_object();
    for (const auto& [key, value] : services.json().items()) {
      const std::int64_t service_key = key_id(services, key, "service ids");
      app.services.push_back(read_local_service(services.at(key.c_str()), app, release_id, service_key));
      const auto& added = app.services.back();
      const auto twice = std::count_if(app.services.begin(), app.services.end(),
                                       [&](const Service& s) { return s.service_name == added.service_name; });
      if (twice > 1) services.at(key.c_str()).fail(fmt::format("service '{}' appears twice", added.service_name));
    }
    if (const auto cycle = detail::find_dependency_cycle(app)) {
      reader.at("services").fail(
          fmt::format("depends_on forms a cycle through service '{}'", app.services[*cycle].service_name));
    }
  }
  if (reader.has("networks")) {
    detail::read_named_components(reader.at("networks"), app, app.networks, detail::read_network_config);
  }
  if (reader.has("volumes")) {
    detail::read_named_components(reader.at("volumes"), app, app.volumes, detail::read_volume_config);
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
    if (local.has("name")) state.name = local.at("name").as_string();
    if (local.has("config")) state.config = local.at("config").as_string_map();
    if (local.has("apps")) {
      const Reader apps = local.at("apps");
      apps.expect_object();
      for (const auto& [key, value] : apps.json().items()) {
        state.target.apps.push_back(read_local_app(apps.at(key.c_str()), key_id(apps, key, "app ids")));
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
