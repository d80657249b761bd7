#include "identity.hpp"

#include <fmt/format.h>

#include <random>

#include "engine/cloud/provision.hpp"

namespace supervisor {
namespace {

// 32 lowercase hex characters, as the balena supervisor's keys and uuids.
std::string random_hex() {
  std::random_device random;
  std::string out;
  static constexpr const char* kDigits = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) out += kDigits[random() % 16];
  return out;
}

std::string stored_or_new(engine::store::Store& store, const std::string& key, const std::string& configured,
                          Logger& log) {
  if (!configured.empty()) return configured;
  if (auto value = store.config(key); value && value.value()) return *value.value();
  const std::string fresh = random_hex();
  if (auto saved = store.set_config(key, fresh); !saved) {
    log.error("store", fmt::format("cannot save the new {}; it will change at the next start", key),
              {{"error", saved.error().describe()}});
  }
  return fresh;
}

}  // namespace

DeviceIdentity load_identity(engine::store::Store& store, const Config& config, Logger& log) {
  return DeviceIdentity{stored_or_new(store, "uuid", config.uuid, log),
                        stored_or_new(store, "apiKey", config.api_key, log), config.device_name};
}

DeviceIdentity load_identity(engine::store::Store& store, const Config& config, Logger& log,
                             engine::cloud::ConfigJson& config_json, const std::filesystem::path& config_json_path) {
  if (config_json.managed()) {
    auto changed = engine::cloud::ensure_identity(config_json, engine::cloud::urandom_hex());
    if (!changed) {
      log.error("config.json", "cannot generate the device identity", {{"error", changed.error().describe()}});
    } else if (changed.value()) {
      if (auto saved = engine::cloud::save_config_json(config_json_path, config_json); !saved) {
        log.error("config.json", "cannot write the new uuid and device key; they change at the next start",
                  {{"path", config_json_path.string()}, {"error", saved.error().describe()}});
      } else {
        log.info("config.json", "generated the device identity", {{"uuid", config_json.uuid.value_or("")}});
      }
    }
  }
  Config with_uuid = config;
  if (config_json.uuid && !config_json.uuid->empty()) with_uuid.uuid = *config_json.uuid;
  DeviceIdentity identity = load_identity(store, with_uuid, log);
  // Keep the store in step so that a device that loses config.json's uuid
  // later still knows the one the cloud had.
  if (auto stored = store.config("uuid"); stored && stored.value() != std::optional<std::string>(identity.uuid)) {
    if (auto saved = store.set_config("uuid", identity.uuid); !saved) {
      log.warn("store", "cannot record the uuid", {{"error", saved.error().describe()}});
    }
  }
  return identity;
}

}  // namespace supervisor
