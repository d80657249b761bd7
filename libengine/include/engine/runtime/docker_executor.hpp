// The executor: carries out one step against the Docker engine, the records
// and the lockfiles. It holds no decision logic: what to do comes from the
// planner; it only re-checks, before it stops or removes a container, that
// the container is still the one the step names (it may have been replaced
// since the snapshot). Every failure comes back as a Status naming the step.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "engine/docker/client.hpp"
#include "engine/exec/ports.hpp"
#include "engine/locks/update_locks.hpp"
#include "engine/runtime/records.hpp"
#include "engine/runtime/runtime_state.hpp"

namespace engine {

// Builds the body of POST /containers/create for a target service (compose
// normalization: the io.balena.* labels and the update-lock binds of the
// directory the executor's UpdateLocks watches included). The executor adds
// only this supervisor's private labels (composition, image reference).
using CreateBodyFn = std::function<Status(const reconcile::Service& target, nlohmann::json& body)>;

struct ExecutorSettings {
  std::string reboot_breadcrumb;
  std::optional<docker::RegistryAuth> registry_auth;  // for pulls from a private registry
};

class DockerExecutor : public StepExecutor {
 public:
  DockerExecutor(const docker::Client& docker, Records& records, UpdateLocks& locks, Downloads& downloads,
                 CreateBodyFn create_body, ExecutorSettings settings);

  Status run(const reconcile::Step& step, const CancelFlag& cancel, const ProgressFn& progress) override;

 private:
  Status fetch(const reconcile::Fetch& step, const CancelFlag& cancel, const ProgressFn& progress);
  Status kill(const reconcile::Service& current);
  Status stop(const reconcile::Service& current);
  Status remove_dead(const reconcile::Service& current);
  // What a start answered with "already running" (304) means for an existing
  // container the snapshot saw not running: a failure (a Start step: the
  // engine's views disagree), or the start (within a hand-over).
  enum class AlreadyRunning { Fails, IsStarted };
  Status start(const reconcile::Service& target, AlreadyRunning already_running);
  Status create(const reconcile::Service& target, std::string& id);
  Status update_metadata(const reconcile::Service& current, const reconcile::Service& target);
  Status handover(const reconcile::Service& current, const reconcile::Service& target);
  Status remove_image(const reconcile::RemoveImage& step);
  Status save_image(const reconcile::Image& image);
  Status create_network(const reconcile::Network& network);
  Status remove_network(const reconcile::Network& network);
  Status create_volume(const reconcile::Volume& volume);
  Status remove_volume(const reconcile::Volume& volume);
  Status require_reboot();
  // The container still exists and is still `current` (same app, service and
  // release). `gone` is set when it no longer exists; `name_now`, when
  // given, gets the container's name as the engine has it.
  Status verify(const reconcile::Service& current, bool& gone, std::string* name_now = nullptr);

  const docker::Client& docker_;
  Records& records_;
  UpdateLocks& locks_;
  Downloads& downloads_;
  CreateBodyFn create_body_;
  ExecutorSettings settings_;
};

}  // namespace engine
