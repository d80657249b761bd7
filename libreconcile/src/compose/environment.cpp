// The environment the supervisor gives every service: who it is (app,
// service, device) and where the update lock and handover files are. Both
// the BALENA_ and the legacy RESIN_ names are set, as balena-supervisor does.
#include "compose/internal.hpp"

namespace reconcile::compose::detail {

json supervisor_environment(const Identity& id, const ServiceOptions& options) {
  json env = json::object();
  const std::pair<const char*, std::string> shared[] = {
      {"APP_ID", fmt::to_string(id.app_id)},   {"APP_UUID", id.app_uuid},
      {"APP_NAME", options.app_name},          {"SERVICE_NAME", id.service_name},
      {"DEVICE_UUID", options.uuid},           {"DEVICE_ARCH", options.device_arch},
      {"DEVICE_TYPE", options.device_type},    {"HOST_OS_VERSION", options.os_version},
      {"APP_LOCK_PATH", "/tmp/balena/updates.lock"},
  };
  for (const auto& [name, value] : shared) {
    env[fmt::format("BALENA_{}", name)] = value;
    env[fmt::format("RESIN_{}", name)] = value;
  }
  env["BALENA_SERVICE_HANDOVER_COMPLETE_PATH"] = "/tmp/balena/handover-complete";
  env["RESIN_SERVICE_KILL_ME_PATH"] = "/tmp/balena/handover-complete";
  env["BALENA"] = "1";
  env["RESIN"] = "1";
  env["USER"] = "root";
  return env;
}

// Set at creation only and never compared: renaming a device must not
// recreate its containers.
bool is_device_name_at_init(const std::string& name) {
  return name == "BALENA_DEVICE_NAME_AT_INIT" || name == "RESIN_DEVICE_NAME_AT_INIT";
}

}  // namespace reconcile::compose::detail
