#include "engine/runtime/container_spec.hpp"

#include <fmt/format.h>

namespace engine {

Status container_create_body(const reconcile::Service& target, const ContainerSpecOptions& options,
                             nlohmann::json& body) {
  auto converted = reconcile::compose::service_to_container_create(target, options);
  if (!converted.ok()) {
    return Status::failure(ErrorKind::Invalid, fmt::format("service '{}' cannot be created: {}", target.service_name,
                                                           converted.error().to_string()));
  }
  body = std::move(converted).value();
  return Status::success();
}

}  // namespace engine
