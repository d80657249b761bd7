// Registry credentials for image pulls (cloud-protocol §9.1) and the
// User-Agent of cloud calls (§0.2): pure functions of config.json and the
// image reference.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/cloud/config_json.hpp"

namespace engine::cloud {

struct RegistryAuth {
  std::string username;        // "d_<uuid>"
  std::string password;        // the current key
  std::string server_address;  // the registry host of the image, e.g. "registry2.balena-cloud.com"
  friend bool operator==(const RegistryAuth&, const RegistryAuth&) = default;
};

// The registry host of an image reference, Docker's rule: the part before
// the first '/' when it has a '.' or a ':' or is "localhost"; nullopt for
// Docker Hub names ("nginx", "library/nginx").
[[nodiscard]] std::optional<std::string> registry_host(std::string_view image);

// The key cloud calls use now (§0.2): the provisioning key while apiKey is
// still in config.json, else deviceApiKey. nullopt when neither is set.
[[nodiscard]] std::optional<std::string> current_key(const ConfigJson& config);

// Credentials for pulling `image`: nullopt (anonymous pull) when the image
// names no registry host, or when the device has no uuid or key yet.
[[nodiscard]] std::optional<RegistryAuth> registry_auth(const ConfigJson& config, std::string_view image);

// "Supervisor/<version> (Linux; <os version>; <os variant>)", without the
// variant or the whole parenthesis when they are unknown (§0.2).
[[nodiscard]] std::string user_agent(std::string_view supervisor_version,
                                     const std::optional<std::string>& os_version,
                                     const std::optional<std::string>& os_variant);

}  // namespace engine::cloud
