// Who the device is: its uuid, the local API's key and its name. Loaded once
// from the store (or the configuration file, or balena's config.json) before
// anything is wired, so every part of the daemon sees the same identity from
// the first container it creates.
#pragma once

#include <filesystem>
#include <string>

#include "config.hpp"
#include "engine/cloud/config_json.hpp"
#include "engine/store/store.hpp"
#include "log.hpp"

namespace supervisor {

struct DeviceIdentity {
  std::string uuid;     // 32 lowercase hex characters unless configured
  std::string api_key;  // the local API's global key
  std::string name;     // the configured name; a target may rename the device
};

// The configured values win; otherwise the stored ones; otherwise new ones,
// stored for the next start. A store that cannot keep them is logged: the
// device runs with the new values and they change at the next start.
[[nodiscard]] DeviceIdentity load_identity(engine::store::Store& store, const Config& config, Logger& log);

// The same, on a device with a config.json: its uuid wins over everything
// (the cloud knows the device by it). A managed device without a uuid or a
// deviceApiKey gets new ones, written back to config.json (atomically, via
// the cloud library) before anything uses them; when that write fails the
// device runs with them and logs it. An unmanaged config.json without a
// uuid changes nothing.
[[nodiscard]] DeviceIdentity load_identity(engine::store::Store& store, const Config& config, Logger& log,
                                           engine::cloud::ConfigJson& config_json,
                                           const std::filesystem::path& config_json_path);

}  // namespace supervisor
