// The steps for one app: its update towards its target, or its removal.
#pragma once

#include <vector>

#include "components.hpp"
#include "images.hpp"
#include "reconcile/model.hpp"
#include "reconcile/step.hpp"

namespace reconcile::detail {

// Both append the app's steps to `out`.

// `current` may be an empty app (the target app is new on the device).
void plan_app_update(const App& current, const App& target, const Context& context,
                     const ImageIndex& images, std::vector<Step>& out);

// The app is in no target: lock, kill every container, then remove its
// networks and (unless keepVolumes) its volumes, then release the lock.
void plan_app_removal(const App& current, const Context& context, std::vector<Step>& out);

}  // namespace reconcile::detail
