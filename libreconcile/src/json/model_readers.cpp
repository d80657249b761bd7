// Readers of the model's JSON objects, shared by the plan request and the
// target-state parsers.
#include "model_readers.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <map>

#include "composition.hpp"
#include "reconcile/json.hpp"

namespace reconcile::detail {
namespace {

constexpr Seconds kDefaultAge = 30 * 60;  // createdAt: 30 minutes before now

// Keys that may stand on the service instead of inside `composition`
// (a key inside `composition` wins).
constexpr std::array<const char*, 9> kShortcutKeys{
    "labels", "environment", "running", "networks", "volumes",
    "depends_on", "command", "restart", "network_mode"};

}  // namespace

Seconds read_time(const Reader& reader) {
  const std::string text = reader.as_string();
  const auto time = parse_time(text);
  if (!time) reader.fail("must be a time like 2026-01-01T00:30:00Z, not '" + text + "'");
  return *time;
}

Service read_service(const Reader& reader, bool is_current, Seconds now, const App* app,
                     ComposeKeys compose_keys) {
  reader.expect_object();
  Service service;
  if (app != nullptr) {
    service.app_id = app->app_id;
    service.app_uuid = app->app_uuid;
  }
  service.service_name = reader.string_or("serviceName", service.service_name);
  if (service.service_name.empty()) reader.at("serviceName").fail("must not be empty");
  service.app_id = reader.int_or("appId", service.app_id);
  service.app_uuid = reader.string_or("appUuid", service.app_uuid);
  service.service_id = reader.int_or("serviceId", service.service_id);
  service.image_id = reader.int_or("imageId", service.image_id);
  service.release_id = reader.int_or("releaseId", service.release_id);
  service.commit = reader.string_or("commit", service.commit);
  service.image = reader.string_or("image", service.image);
  service.docker_image_id = reader.optional_string("dockerImageId");

  nlohmann::json composition = nlohmann::json::object();
  for (const char* key : kShortcutKeys) {
    if (reader.has(key)) composition[key] = reader.json().at(key);
  }
  if (reader.has("composition")) {
    const Reader given = reader.at("composition");
    given.expect_object();
    for (const auto& [key, value] : given.json().items()) composition[key] = value;
  }
  // Errors inside the merged object are reported at the composition.
  const std::string pointer = reader.has("composition") && compose_keys == ComposeKeys::Nested
                                  ? reader.pointer() + "/composition"
                                  : reader.pointer();
  detail::read_composition(Reader(composition, pointer), service);

  if (is_current) {
    if (reader.has("status")) {
      const Reader status = reader.at("status");
      const auto parsed = parse_service_status(status.as_string());
      if (!parsed) {
        status.fail("is not a known status (Running, Stopped, Stopping, exited, Installing, "
                    "Installed, Dead, Handing over, Awaiting handover, Downloading, paused, "
                    "restarting, removing)");
      }
      service.status = *parsed;
    }
    service.container_id = reader.optional_string("containerId");
    service.created_at = reader.has("createdAt") ? read_time(reader.at("createdAt")) : now - kDefaultAge;
    service.exit_error = reader.string_or("exitErrorMessage", "");
  }
  return service;
}

Image read_image(const Reader& reader) {
  reader.expect_object();
  Image image;
  image.name = reader.string_or("name", image.name);
  image.app_id = reader.int_or("appId", image.app_id);
  image.app_uuid = reader.string_or("appUuid", image.app_uuid);
  image.service_name = reader.string_or("serviceName", image.service_name);
  image.service_id = reader.int_or("serviceId", image.service_id);
  image.image_id = reader.int_or("imageId", image.image_id);
  image.release_id = reader.int_or("releaseId", image.release_id);
  image.commit = reader.string_or("commit", image.commit);
  image.docker_image_id = reader.optional_string("dockerImageId");
  return image;
}

NetworkConfig read_network_config(const Reader& reader) {
  reader.expect_object();
  NetworkConfig config;
  config.driver = reader.string_or("driver", config.driver);
  if (reader.has("driver_opts")) config.driver_opts = reader.at("driver_opts").as_string_map();
  if (reader.has("ipam")) {
    const Reader ipam = reader.at("ipam");
    ipam.expect_object();
    config.ipam_driver = ipam.string_or("driver", config.ipam_driver);
    if (ipam.has("options")) config.ipam_options = ipam.at("options").as_string_map();
    if (ipam.has("config")) {
      const Reader pools = ipam.at("config");
      pools.expect_array();
      for (std::size_t i = 0; i < pools.json().size(); ++i) {
        const Reader pool = pools.at(i);
        pool.expect_object();
        IpamPool out;
        out.subnet = pool.string_or("subnet", "");
        out.gateway = pool.string_or("gateway", "");
        out.ip_range = pool.string_or("ip_range", "");
        if (pool.has("aux_addresses")) out.aux_addresses = pool.at("aux_addresses").as_string_map();
        config.ipam_config.push_back(std::move(out));
      }
      std::sort(config.ipam_config.begin(), config.ipam_config.end());
    }
  }
  config.internal = reader.bool_or("internal", false);
  config.enable_ipv6 = reader.bool_or("enable_ipv6", false);
  if (reader.has("labels")) config.labels = reader.at("labels").as_string_map();
  config.config_only = reader.bool_or("config_only", false);
  return config;
}

VolumeConfig read_volume_config(const Reader& reader) {
  reader.expect_object();
  VolumeConfig config;
  config.driver = reader.string_or("driver", config.driver);
  if (reader.has("driver_opts")) config.driver_opts = reader.at("driver_opts").as_string_map();
  if (reader.has("labels")) config.labels = reader.at("labels").as_string_map();
  return config;
}

std::optional<std::size_t> find_dependency_cycle(const App& app) {
  // Depth-first search over depends_on within the app; a cycle would keep
  // every service in it waiting for the others forever.
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < app.services.size(); ++i) index[app.services[i].service_name] = i;
  std::vector<int> mark(app.services.size(), 0);  // 0 new, 1 on stack, 2 done
  std::function<bool(std::size_t)> visit = [&](std::size_t i) {
    if (mark[i] == 1) return true;
    if (mark[i] == 2) return false;
    mark[i] = 1;
    for (const std::string& dependency : app.services[i].config().depends_on) {
      auto it = index.find(dependency);
      if (it != index.end() && visit(it->second)) return true;
    }
    mark[i] = 2;
    return false;
  };
  for (std::size_t i = 0; i < app.services.size(); ++i) {
    if (visit(i)) return i;
  }
  return std::nullopt;
}

}  // namespace reconcile::detail
