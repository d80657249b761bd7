// Compose normalization: the balena supervisor's conversions between the
// docker-compose form of services, networks and volumes (as the target state
// gives them) and the Docker Engine's form (create bodies and inspects), and
// the equality that decides whether an existing object must be recreated.
// See docs/compose.md and shared/conformance/compose/FORMAT.md.
//
// All functions are pure: everything they depend on (device facts, the
// image's inspect, the app's current container ids) is an argument. Like
// json.hpp this header speaks nlohmann::json, because the inputs and outputs
// are engine and compose documents; errors come back as a ParseError naming
// the bad field by JSON pointer.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "reconcile/json.hpp"
#include "reconcile/model.hpp"

namespace reconcile::compose {

// What the supervisor adds to a service from its own state. Defaults are
// those of an empty options object.
struct ServiceOptions {
  std::string uuid;                // device UUID
  std::string device_name;         // becomes *_DEVICE_NAME_AT_INIT (create body only)
  std::string app_name;
  std::string device_type;
  std::string device_arch;
  std::string os_version;
  std::string version;             // supervisor version
  std::string api_endpoint;        // feature balena-api
  std::string device_api_key;      // feature balena-api
  std::int64_t listen_port = 48484;
  std::string supervisor_api_host;  // supervisor address seen on supervisor0
  std::string service_api_key;      // feature supervisor-api
  std::string hostname;             // device hostname (network_mode: host)
  bool host_has_modules = false;    // /lib/modules exists on the host
  bool host_has_firmware = false;   // /lib/firmware exists on the host
  std::optional<std::string> os_board_rev;  // feature host-os.board-rev
  std::string docker_socket = "/var/run/docker.sock";
  // Where the update-lock directories live on the host: ROOT/APPID/SERVICE is
  // bound at /tmp/balena and /tmp/resin in the container.
  std::string lock_dir_root = "/tmp/balena-supervisor/services";
  // `docker image inspect` of the service image, or null: its Config gives
  // defaults, its Id becomes the container's Image.
  nlohmann::json image_info;
  std::map<std::string, std::string> container_ids;  // service name -> container id
};

// Reads the Options object of FORMAT.md (camelCase keys; all optional).
[[nodiscard]] Parsed<ServiceOptions> parse_service_options(const nlohmann::json& json);

// A service of the target state ({"serviceName", "appId", "appUuid",
// "serviceId", "imageId", "releaseId", "commit", "image", "composition"})
// normalized the way the supervisor stores it: image defaults merged,
// environment and labels injected, feature labels applied, volumes and
// networks namespaced, ports folded, units parsed. The result has the same
// shape as service_from_container's, so the two can be compared.
[[nodiscard]] Parsed<nlohmann::json> normalize_service(const nlohmann::json& service,
                                                       const ServiceOptions& options);

// The body of POST /containers/create for a normalized service (the
// container name, SERVICENAME_IMAGEID_RELEASEID_COMMIT, goes in the query).
[[nodiscard]] Parsed<nlohmann::json> container_create_body(const nlohmann::json& normalized,
                                                           const ServiceOptions& options);

// normalize_service then container_create_body: what the runtime calls.
[[nodiscard]] Parsed<nlohmann::json> service_to_container_create(const nlohmann::json& service,
                                                                 const ServiceOptions& options);

// The same for a planner Service: its identity fields and its composition
// (ServiceConfig::composition). The service's docker_image_id stands for the
// image inspect's Id when options.image_info has none.
[[nodiscard]] Parsed<nlohmann::json> service_to_container_create(const Service& service,
                                                                 const ServiceOptions& options);

// A container as GET /containers/{id}/json reports it, read back as a
// normalized service (identity from labels and name, compose keys under
// "composition").
[[nodiscard]] Parsed<nlohmann::json> service_from_container(const nlohmann::json& inspect);

// Whether `current` (what exists) needs no recreation to become `target`;
// both normalized (normalize_service or service_from_container).
// container_ids: the app's current containers by service name, for
// network_mode "service:NAME".
[[nodiscard]] bool same_service_config(const nlohmann::json& current, const nlohmann::json& target,
                                       const std::map<std::string, std::string>& container_ids);

// Networks: {"name", "appId", "appUuid", "config": {compose keys}}.
// normalize_network fills in defaults and the supervisor's labels.
// Whether a service asks for the supervisor API: label
// io.balena.features.supervisor-api, or its io.resin. spelling, truthy. It
// then gets an API key of its own, scoped to its app.
[[nodiscard]] bool uses_supervisor_api(const nlohmann::json& composition);
// Whether a service joins supervisor0, the supervisor's own network: it uses
// the supervisor API and has a network stack of its own.
[[nodiscard]] bool joins_supervisor_network(const nlohmann::json& composition);

[[nodiscard]] Parsed<nlohmann::json> normalize_network(const nlohmann::json& network);
[[nodiscard]] Parsed<nlohmann::json> network_create_body(const nlohmann::json& network);
[[nodiscard]] Parsed<nlohmann::json> network_from_engine(const nlohmann::json& inspect);
[[nodiscard]] bool same_network_config(const nlohmann::json& current, const nlohmann::json& target);

// Volumes: {"name", "appId", "appUuid", "config": {driver, driver_opts, labels}}.
[[nodiscard]] Parsed<nlohmann::json> normalize_volume(const nlohmann::json& volume);
[[nodiscard]] Parsed<nlohmann::json> volume_create_body(const nlohmann::json& volume);
[[nodiscard]] Parsed<nlohmann::json> volume_from_engine(const nlohmann::json& inspect);
[[nodiscard]] bool same_volume_config(const nlohmann::json& current, const nlohmann::json& target);

}  // namespace reconcile::compose
