// The container-create body of a target service, for the executor.
#pragma once

#include <functional>
#include <string>

#include "api_keys.hpp"
#include "config.hpp"
#include "identity.hpp"
#include "engine/runtime/docker_executor.hpp"

namespace supervisor {

// The name of an app of the target (BALENA_APP_NAME); empty when unknown.
using AppNameFn = std::function<std::string(reconcile::AppId)>;

// A service with the supervisor-api feature gets its own key from `keys`
// (stored at its first creation, the same at every recreation).
[[nodiscard]] engine::CreateBodyFn make_create_body(const Config& config, const DeviceIdentity& identity,
                                                    ApiKeys& keys, AppNameFn app_name);

}  // namespace supervisor
