// GET /v2/cleanup-volumes (local-api.md §4): the engine's volumes that no
// container mounts (supervised or not) and no in-scope target app declares
// are removed. Decision on §7's scoped-key quirk: a key scoped to one app
// removes only that app's volumes (named "<appId>_<name>"); only the global
// key removes other volumes, as balena's does. The choice is pure
// (volumes_to_remove); EngineVolumes is the seam to the engine.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "api/device_api.hpp"
#include "engine/common/error.hpp"
#include "engine/docker/client.hpp"

namespace supervisor {

struct VolumeInventory {
  std::vector<std::string> volumes;  // every volume on the engine
  std::set<std::string> mounted;     // volumes some container (any state) mounts
};

// The volumes to remove, sorted. `declared`: engine names of the volumes of
// the in-scope target apps.
[[nodiscard]] std::vector<std::string> volumes_to_remove(const VolumeInventory& inventory,
                                                         const std::set<std::string>& declared,
                                                         const api::KeyScope& scope);

class EngineVolumes {
 public:
  virtual ~EngineVolumes() = default;
  [[nodiscard]] virtual engine::Status inventory(VolumeInventory& out) = 0;
  // NotFound when it is gone, Conflict when a container took it meanwhile.
  [[nodiscard]] virtual engine::Status remove(const std::string& name) = 0;
};

class DockerVolumes : public EngineVolumes {
 public:
  explicit DockerVolumes(const engine::docker::Client& docker) : docker_(docker) {}
  engine::Status inventory(VolumeInventory& out) override;
  engine::Status remove(const std::string& name) override;

 private:
  const engine::docker::Client& docker_;
};

}  // namespace supervisor
