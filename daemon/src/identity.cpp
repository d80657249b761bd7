#include "identity.hpp"

#include <fmt/format.h>

#include <random>

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

}  // namespace supervisor
