#include "host_volumes.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/docker/json.hpp"
#include "engine/runtime/docker_errors.hpp"

namespace supervisor {

std::vector<std::string> volumes_to_remove(const VolumeInventory& inventory, const std::set<std::string>& declared,
                                           const api::KeyScope& scope) {
  const std::string own_prefix = scope.app ? fmt::format("{}_", *scope.app) : std::string();
  std::vector<std::string> out;
  for (const std::string& name : inventory.volumes) {
    if (inventory.mounted.contains(name) || declared.contains(name)) continue;
    if (!scope.is_global() && (!name.starts_with(own_prefix) || name.size() == own_prefix.size())) continue;
    out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

engine::Status DockerVolumes::inventory(VolumeInventory& out) {
  out = {};
  auto volumes = docker_.list_volumes({});
  if (!volumes) return engine::error_from(volumes.error());
  for (const auto& volume : volumes.value()) out.volumes.push_back(volume.name);
  auto containers = docker_.list_containers({}, engine::docker::ListScope::all);
  if (!containers) return engine::error_from(containers.error());
  for (const auto& container : containers.value()) {
    const nlohmann::json raw = engine::docker::parse_raw(container.raw);
    if (!raw.is_object() || !raw.contains("Mounts") || !raw["Mounts"].is_array()) continue;
    for (const auto& mount : raw["Mounts"]) {
      if (mount.is_object() && mount.value("Type", "") == "volume" && mount.contains("Name") &&
          mount["Name"].is_string()) {
        out.mounted.insert(mount["Name"].get<std::string>());
      }
    }
  }
  return engine::Status::success();
}

engine::Status DockerVolumes::remove(const std::string& name) {
  auto removed = docker_.remove_volume(name, engine::docker::Force::no);
  if (!removed.ok()) return engine::error_from(removed.error());
  return engine::Status::success();
}

}  // namespace supervisor
