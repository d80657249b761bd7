// The services of a target that the supervisor never installs, whoever
// sends the target (the cloud, or a balena database being imported):
// shared/reference/cloud-protocol.md §4.4, "Device handling of special apps".
// The cloud's target includes the balena supervisor's own app and the host
// OS app beside the fleet's apps.
#pragma once

#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace reconcile {

// The balena supervisor's own service (`main`, `balena-supervisor` or
// `core`) in one of its apps (one uuid per architecture): a supervisor
// cannot update itself, and this one must not start the one it replaces.
[[nodiscard]] bool is_balena_supervisor_service(std::string_view app_uuid, std::string_view service_name);

// Whether a service of the host OS app is the device's to run: only data
// services (label io.balena.image.class absent or `service`, and
// io.balena.image.store absent or `data`). `service` is its JSON in the
// target (labels at the top level win over the composition's).
[[nodiscard]] bool host_app_runs(const nlohmann::json& service);

}  // namespace reconcile
