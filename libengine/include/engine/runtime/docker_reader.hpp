// The snapshot: the planner's current state and context read from the
// engine (containers, networks and volumes carrying io.balena.supervised),
// the records (images, commits), the lockfiles and the clock. Objects without
// the supervisor's label are never looked at.
#pragma once

#include <map>

#include "engine/docker/client.hpp"
#include "engine/exec/ports.hpp"
#include "engine/locks/update_locks.hpp"
#include "engine/runtime/adoption.hpp"
#include "engine/runtime/records.hpp"
#include "engine/runtime/runtime_state.hpp"

namespace engine {

class DockerReader : public StateReader {
 public:
  DockerReader(const docker::Client& docker, Records& records, const UpdateLocks& locks,
               const Downloads& downloads, RuntimeSettings settings);

  Status read(Snapshot& out) override;
  // Containers without this supervisor's composition label are read with
  // the target composition `adoption` finds they equal (adoption.hpp);
  // without one, with none. Not owned; set before the first read.
  void set_adoption(Adoption* adoption) { adoption_ = adoption; }

 private:
  Status read_containers(const docker::Filters& supervised, reconcile::Context& context,
                         std::map<reconcile::AppId, reconcile::App>& apps);
  Status read_networks(const docker::Filters& supervised, std::map<reconcile::AppId, reconcile::App>& apps);
  Status read_volumes(const docker::Filters& supervised, std::map<reconcile::AppId, reconcile::App>& apps);
  Status read_images(reconcile::Context& context);

  const docker::Client& docker_;
  Records& records_;
  const UpdateLocks& locks_;
  const Downloads& downloads_;
  RuntimeSettings settings_;
  Adoption* adoption_ = nullptr;
};

// The boot time from /proc/stat (btime), or 0 when unknown.
[[nodiscard]] reconcile::Seconds boot_time();

}  // namespace engine
