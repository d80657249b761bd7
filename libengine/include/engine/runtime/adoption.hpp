// Adopting containers this supervisor did not create (the balena
// supervisor's, after a switch-over: docs/switch-over.md). They carry the
// balena labels but not this supervisor's private composition label, so the
// snapshot cannot say which target composition they were made from. A
// container is adopted when the body this supervisor would create for the
// target service of the same app and name gives the same container by the
// compose module's equality (balena's isEqualConfig, the comparison the
// balena supervisor itself makes after updating itself): the snapshot then
// reads it with the target's composition, and the planner leaves it alone.
// Otherwise it reads with no composition and is recreated, as balena would.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/docker/client.hpp"
#include "engine/runtime/docker_executor.hpp"
#include "reconcile/model.hpp"

namespace engine {

struct Adopted {
  std::string composition;  // the target service's, as the private label would carry it
  std::string image;        // the target service's image name
};

class Adoption {
 public:
  // `target`: the device's target now (nullopt: none yet). `create_body`:
  // the executor's, so the comparison sees exactly what a create would send.
  Adoption(const docker::Client& docker, CreateBodyFn create_body,
           std::function<std::optional<reconcile::State>()> target);

  // `inspect` fetches the container's GET /containers/{id}/json (nullopt:
  // it is gone), called only when the answer for this container and target
  // is not known yet. `container_ids`: the app's containers by service name
  // (network_mode service:NAME). nullopt: no target service of that app and
  // name, its image is not in the engine, or the container differs from it.
  [[nodiscard]] std::optional<Adopted> adopt(const docker::ContainerSummary& container,
                                             const std::function<std::optional<nlohmann::json>()>& inspect,
                                             const std::map<std::string, std::string>& container_ids);

 private:
  [[nodiscard]] std::optional<Adopted> compare(const nlohmann::json& inspect, const reconcile::Service& target,
                                               const std::string& app_name,
                                               const std::map<std::string, std::string>& container_ids) const;

  const docker::Client& docker_;
  CreateBodyFn create_body_;
  std::function<std::optional<reconcile::State>()> target_;
  // Per container id: the target it was compared with and the answer, so a
  // snapshot does not inspect the image and rebuild the body every time.
  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, std::optional<Adopted>>> answers_;
};

// What the engine would report for a container created from `body` with an
// image whose inspect is `image`: the image's Config fills what the body
// leaves out, as the engine does at create (Env and Labels merged, Cmd and
// Entrypoint, WorkingDir, User, StopSignal, Healthcheck defaulted, Volumes
// and ExposedPorts joined). Name and Id are the existing container's.
[[nodiscard]] nlohmann::json inspect_as_created(const nlohmann::json& body, const nlohmann::json& image,
                                                const std::string& name, const std::string& id);

}  // namespace engine
