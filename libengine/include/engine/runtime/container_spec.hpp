// The body of POST /containers/create for a target service: libreconcile's
// compose normalization (reconcile/compose_json.hpp, docs/compose.md) with
// the device's facts, as a Status for the executor.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/exec/ports.hpp"
#include "reconcile/compose_json.hpp"
#include "reconcile/model.hpp"

namespace engine {

// The device facts the body needs (uuid, names, lock directory, socket ...).
using ContainerSpecOptions = reconcile::compose::ServiceOptions;

[[nodiscard]] Status container_create_body(const reconcile::Service& target, const ContainerSpecOptions& options,
                                           nlohmann::json& body);

}  // namespace engine
