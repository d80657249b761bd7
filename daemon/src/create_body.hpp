// The container-create body of a target service, for the executor.
#pragma once

#include "config.hpp"
#include "identity.hpp"
#include "engine/runtime/docker_executor.hpp"

namespace supervisor {

[[nodiscard]] engine::CreateBodyFn make_create_body(const Config& config, const DeviceIdentity& identity);

}  // namespace supervisor
