// The container-create body of a target service, for the executor.
#pragma once

#include "api_keys.hpp"
#include "config.hpp"
#include "identity.hpp"
#include "engine/runtime/docker_executor.hpp"

namespace supervisor {

// A service with the supervisor-api feature gets its own key from `keys`
// (stored at its first creation, the same at every recreation).
[[nodiscard]] engine::CreateBodyFn make_create_body(const Config& config, const DeviceIdentity& identity,
                                                    ApiKeys& keys);

}  // namespace supervisor
