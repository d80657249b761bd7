// The plan request reader (docs/plan-request.md).
#include <algorithm>
#include <functional>
#include <map>
#include <array>
#include <set>

#include "composition.hpp"
#include "model_readers.hpp"
#include "reader.hpp"
#include "reconcile/json.hpp"
#include "reconcile/json_text.hpp"

namespace reconcile {
namespace {

using detail::FieldError;
using detail::Reader;
using detail::read_image;
using detail::read_network_config;
using detail::read_service;
using detail::read_time;
using detail::read_volume_config;

constexpr const char* kDefaultNow = "2026-01-01T00:30:00Z";
constexpr Seconds kDefaultAge = 30 * 60;  // createdAt and bootTime: 30 minutes before now

template <typename Component, typename ReadConfig>
Component read_component(const Reader& reader, const App& app, ReadConfig read_config) {
  reader.expect_object();
  Component component;
  if (!reader.has("name")) reader.fail("needs a name");
  component.name = reader.at("name").as_string();
  if (component.name.empty()) reader.at("name").fail("must not be empty");
  component.app_id = reader.int_or("appId", app.app_id);
  component.app_uuid = reader.string_or("appUuid", app.app_uuid);
  if (reader.has("config")) component.config = read_config(reader.at("config"));
  return component;
}

App read_app(const Reader& reader, bool is_current, Seconds now) {
  reader.expect_object();
  App app;
  app.app_id = reader.int_or("appId", app.app_id);
  app.app_uuid = reader.string_or("appUuid", app.app_uuid);
  app.name = reader.string_or("name", "");
  app.is_host = reader.bool_or("isHost", false);
  if (!is_current) app.is_rejected = reader.bool_or("isRejected", false);
  app.commit = reader.optional_string("commit");
  if (reader.has("releaseId")) app.release_id = reader.at("releaseId").as_int();
  if (reader.has("services")) {
    const Reader services = reader.at("services");
    services.expect_array();
    std::set<std::string> names;
    for (std::size_t i = 0; i < services.json().size(); ++i) {
      app.services.push_back(read_service(services.at(i), is_current, now, &app));
      const std::string& name = app.services.back().service_name;
      // The engine may hold several containers of one service; a target
      // names each service once.
      if (!is_current && !names.insert(name).second) {
        services.at(i).fail("service '" + name + "' appears twice in the target app");
      }
    }
    if (!is_current) {
      if (const auto cycle = detail::find_dependency_cycle(app)) {
        services.at(*cycle).fail("depends_on forms a cycle through service '" +
                                 app.services[*cycle].service_name + "'");
      }
    }
  }
  if (reader.has("networks")) {
    const Reader networks = reader.at("networks");
    networks.expect_array();
    std::set<std::string> names;
    for (std::size_t i = 0; i < networks.json().size(); ++i) {
      app.networks.push_back(read_component<Network>(networks.at(i), app, read_network_config));
      if (!is_current && !names.insert(app.networks.back().name).second) {
        networks.at(i).fail("network '" + app.networks.back().name + "' appears twice in the target app");
      }
    }
  }
  if (reader.has("volumes")) {
    const Reader volumes = reader.at("volumes");
    volumes.expect_array();
    std::set<std::string> names;
    for (std::size_t i = 0; i < volumes.json().size(); ++i) {
      app.volumes.push_back(read_component<Volume>(volumes.at(i), app, read_volume_config));
      if (!names.insert(app.volumes.back().name).second) {
        volumes.at(i).fail("volume '" + app.volumes.back().name + "' appears twice in the app");
      }
    }
  }
  return app;
}

State read_state(const Reader& reader, bool is_current, Seconds now) {
  reader.expect_object();
  State state;
  if (!reader.has("apps")) return state;
  const Reader apps = reader.at("apps");
  apps.expect_array();
  std::set<AppId> ids;
  for (std::size_t i = 0; i < apps.json().size(); ++i) {
    state.apps.push_back(read_app(apps.at(i), is_current, now));
    if (!ids.insert(state.apps.back().app_id).second) {
      apps.at(i).fail("appId " + std::to_string(state.apps.back().app_id) + " appears twice");
    }
  }
  return state;
}

// {"id": "sha256:...", "references": ["repo:tag", "repo@sha256:..."]}
EngineImage read_engine_image(const Reader& reader) {
  reader.expect_object();
  EngineImage image;
  if (!reader.has("id")) reader.fail("needs an id");
  image.id = reader.at("id").as_string();
  if (image.id.empty()) reader.at("id").fail("must not be empty");
  if (reader.has("references")) image.references = reader.at("references").as_strings();
  return image;
}

Context read_context(const Reader& reader, Seconds now, const State& current) {
  reader.expect_object();
  Context context;
  context.now = now;
  context.boot_time = reader.has("bootTime") ? read_time(reader.at("bootTime")) : now - kDefaultAge;
  if (reader.has("availableImages")) {
    const Reader images = reader.at("availableImages");
    images.expect_array();
    for (std::size_t i = 0; i < images.json().size(); ++i) {
      context.available_images.push_back(read_image(images.at(i)));
    }
  } else {  // absent: every image of a current container is available
    for (const App& app : current.apps) {
      for (const Service& service : app.services) {
        context.available_images.push_back(image_of(service));
      }
    }
  }
  if (reader.has("engineImages")) {  // absent: the planner knows of no image without a record
    const Reader images = reader.at("engineImages");
    images.expect_array();
    for (std::size_t i = 0; i < images.json().size(); ++i) {
      context.engine_images.push_back(read_engine_image(images.at(i)));
    }
  }
  if (reader.has("downloading")) context.downloading = reader.at("downloading").as_strings();
  if (reader.has("containerIds")) {
    const Reader ids = reader.at("containerIds");
    ids.expect_object();
    for (const auto& [app_key, services] : ids.json().items()) {
      const Reader app_reader = ids.at(app_key.c_str());
      AppId app_id = 0;
      try {
        std::size_t used = 0;
        app_id = std::stoll(app_key, &used);
        if (used != app_key.size()) throw std::invalid_argument(app_key);
      } catch (const std::exception&) {
        app_reader.fail("keys of containerIds must be appIds");
      }
      context.container_ids[app_id] = app_reader.as_string_map();
    }
  } else {
    for (const App& app : current.apps) {
      for (const Service& service : app.services) {
        if (service.container_id) context.container_ids[app.app_id][service.service_name] = *service.container_id;
      }
    }
  }
  if (reader.has("locksHeld")) {
    const Reader locks = reader.at("locksHeld");
    locks.expect_array();
    for (std::size_t i = 0; i < locks.json().size(); ++i) context.locks_held.insert(locks.at(i).as_int());
  }
  context.has_leftover_locks = reader.bool_or("hasLeftoverLocks", false);
  context.keep_volumes = reader.bool_or("keepVolumes", false);
  context.keep_images = reader.bool_or("keepImages", false);
  context.start_stopped = reader.bool_or("startStopped", false);
  context.force = reader.bool_or("force", false);
  context.reboot_breadcrumb_set = reader.bool_or("rebootBreadcrumbSet", false);
  context.supervisor_network_ready = reader.bool_or("supervisorNetworkReady", true);
  return context;
}

}  // namespace

std::string ParseError::to_string() const {
  return (pointer.empty() ? std::string("(document)") : pointer) + ": " + message;
}

Parsed<PlanRequest> parse_plan_request(const nlohmann::json& json) {
  try {
    const Reader root(json, "");
    root.expect_object();
    const nlohmann::json empty = nlohmann::json::object();
    const Reader context = root.has("context") ? root.at("context") : Reader(empty, "/context");
    context.expect_object();
    const Seconds now = context.has("now") ? read_time(context.at("now")) : *parse_time(kDefaultNow);
    PlanRequest request;
    if (root.has("current")) request.current = read_state(root.at("current"), true, now);
    if (root.has("target")) request.target = read_state(root.at("target"), false, now);
    request.context = read_context(context, now, request.current);
    return request;
  } catch (const FieldError& error) {
    return ParseError{error.pointer, error.message};
  }
}

Parsed<PlanRequest> parse_plan_request_text(std::string_view text) {
  auto json = parse_json_text(text);
  if (!json.ok()) return json.error();
  return parse_plan_request(json.value());
}

Parsed<Service> service_from_json(const nlohmann::json& json, bool is_current, Seconds now) {
  try {
    return read_service(Reader(json, ""), is_current, now, nullptr);
  } catch (const FieldError& error) {
    return ParseError{error.pointer, error.message};
  }
}

}  // namespace reconcile
