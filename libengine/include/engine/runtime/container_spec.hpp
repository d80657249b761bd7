// The body of POST /containers/create for a target service: the common
// docker-compose keys mapped to the engine's fields, the environment and
// labels the supervisor injects. (The full balena normalization, with every
// feature label, belongs to libreconcile's compose module; this is the
// runtime's use of it.)
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/exec/ports.hpp"
#include "reconcile/model.hpp"

namespace engine {

struct ContainerSpecOptions {
  std::string device_uuid;
  std::string device_name;
  std::string device_type;
  std::string device_arch;
  std::string os_version;
  std::string app_name;
};

[[nodiscard]] Status container_create_body(const reconcile::Service& target, const ContainerSpecOptions& options,
                                           nlohmann::json& body);

}  // namespace engine
