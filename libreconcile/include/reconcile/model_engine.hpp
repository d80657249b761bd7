// The model engine: the state and context after a step succeeds, with the
// semantics of the executor (fetch makes the image available, kill removes
// the container, start creates and runs it, updateMetadata renames it to the
// target release, takeLock holds the app's lock, ...). Pure, like the planner;
// used by `supervisor plan --all` and the property tests.
#pragma once

#include <vector>

#include "reconcile/model.hpp"
#include "reconcile/step.hpp"

namespace reconcile {

struct World {
  State current;
  Context context;
  friend bool operator==(const World&, const World&) = default;
};

// Applies one step. Containers created by the model get ids derived from the
// service, and creation times from context.now, so the result is
// deterministic.
void apply(World& world, const Step& step);

// Applies a whole batch, in order, then advances context.now by one second.
void apply_batch(World& world, const std::vector<Step>& batch);

// Completes every download in progress: the images of `target` services
// being pulled become available. The model's stand-in for time passing
// while only noops are planned.
void finish_downloads(World& world, const State& target);

// A reboot: boot time becomes now, the reboot breadcrumb and the locks are
// gone, and the engine restarts exited containers that have a restart policy.
void reboot(World& world);

}  // namespace reconcile
