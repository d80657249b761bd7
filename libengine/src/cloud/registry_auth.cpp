#include "engine/cloud/registry_auth.hpp"

#include <fmt/format.h>

namespace engine::cloud {

std::optional<std::string> registry_host(std::string_view image) {
  const auto slash = image.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto first = image.substr(0, slash);
  if (first.find('.') == std::string_view::npos && first.find(':') == std::string_view::npos &&
      first != "localhost") {
    return std::nullopt;
  }
  return std::string(first);
}

std::optional<std::string> current_key(const ConfigJson& config) {
  if (config.api_key && !config.api_key->empty()) return config.api_key;
  if (config.device_api_key && !config.device_api_key->empty()) return config.device_api_key;
  return std::nullopt;
}

std::optional<RegistryAuth> registry_auth(const ConfigJson& config, std::string_view image) {
  auto host = registry_host(image);
  auto key = current_key(config);
  if (!host || !key || !config.uuid || config.uuid->empty()) return std::nullopt;
  return RegistryAuth{fmt::format("d_{}", *config.uuid), std::move(*key), std::move(*host)};
}

std::string user_agent(std::string_view supervisor_version, const std::optional<std::string>& os_version,
                       const std::optional<std::string>& os_variant) {
  if (!os_version || os_version->empty()) return fmt::format("Supervisor/{}", supervisor_version);
  if (!os_variant || os_variant->empty()) return fmt::format("Supervisor/{} (Linux; {})", supervisor_version, *os_version);
  return fmt::format("Supervisor/{} (Linux; {}; {})", supervisor_version, *os_version, *os_variant);
}

}  // namespace engine::cloud
