// How engine objects are named and labelled, as the balena supervisor does
// (shared/reference/balena-supervisor-behaviour.md §2.3), so that a device
// that ran it switches over without recreating anything:
//   container  <serviceName>_<imageId>_<releaseId>_<commit>
//   network    <appUuid>_<name>
//   volume     <appId>_<name>
// and io.balena.supervised=true on everything the supervisor owns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "reconcile/model.hpp"

namespace engine::names {

inline constexpr const char* kSupervised = "io.balena.supervised";
inline constexpr const char* kAppId = "io.balena.app-id";
inline constexpr const char* kAppUuid = "io.balena.app-uuid";
inline constexpr const char* kServiceId = "io.balena.service-id";
inline constexpr const char* kServiceName = "io.balena.service-name";
// Ours: the compose configuration the container was created from (canonical
// JSON) and its image reference, so a snapshot reads back exactly what the
// planner compares. Containers without them (made by the balena supervisor)
// are read from their inspect document instead.
inline constexpr const char* kComposition = "io.balena.private.composition";
inline constexpr const char* kImage = "io.balena.private.image";

struct ContainerName {
  std::string service_name;
  std::int64_t image_id = 0;
  std::int64_t release_id = 0;
  std::string commit;
};

[[nodiscard]] std::string container_name(const reconcile::Service& service);
// Parses <service>_<imageId>_<releaseId>_<commit>; the service name may hold
// underscores. A handover's old container ("old_" prefix) parses too.
[[nodiscard]] std::optional<ContainerName> parse_container_name(const std::string& name);

[[nodiscard]] std::string network_name(const reconcile::Network& network);
[[nodiscard]] std::string volume_name(const reconcile::Volume& volume);
// "<prefix>_<name>" back to name when the prefix is the app's.
[[nodiscard]] std::optional<std::string> strip_prefix(const std::string& engine_name, const std::string& prefix);

}  // namespace engine::names
