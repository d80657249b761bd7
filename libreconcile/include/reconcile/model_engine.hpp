// The model engine: the state and context after a step succeeds, with the
// semantics of the executor (fetch makes the image available, kill removes
// the container, start creates and runs it, updateMetadata renames it to the
// target release, takeLock holds the app's lock, ...). Pure, like the planner;
// used by `supervisor plan --all` and the property tests.
#pragma once

#include <set>
#include <vector>

#include "reconcile/model.hpp"
#include "reconcile/step.hpp"

namespace reconcile {

struct World {
  State current;
  Context context;
  friend bool operator==(const World&, const World&) = default;
};

// Update locks that user services hold, by app. A model-only notion: the
// planner never sees them (a device learns of one only when taking the lock
// fails), so they live beside the World rather than in its Context.
using UserLocks = std::set<AppId>;

// Applies one step. Containers created by the model get ids derived from the
// service, and creation times from context.now, so the result is
// deterministic. The step succeeds except a takeLock of an app in
// `user_locks` without force, which fails and changes nothing; a forced one
// deletes the user's lock first, as the executor does.
void apply(World& world, const Step& step, UserLocks& user_locks);
void apply(World& world, const Step& step);  // no user holds a lock

// Applies a whole batch, in order, then advances context.now by one second.
void apply_batch(World& world, const std::vector<Step>& batch, UserLocks& user_locks);
void apply_batch(World& world, const std::vector<Step>& batch);

// Completes every download in progress: the images of `target` services
// being pulled become available. The model's stand-in for time passing
// while only noops are planned.
void finish_downloads(World& world, const State& target);

// Completes every executor transition the planner waits for: a Stopping
// container has stopped, a Removing one is gone, a hand-over finished (the
// old container is gone, the new one runs), a Restarting one runs. The
// model's other stand-in for time passing.
void settle_transitions(World& world);

// A reboot: boot time becomes now, the reboot breadcrumb and the locks are
// gone, and the engine restarts exited containers whose restart policy is
// `always` (the default when unset, as in the balena supervisor).
void reboot(World& world);

}  // namespace reconcile
