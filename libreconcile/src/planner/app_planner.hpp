// The steps for one app: its update towards its target, or its removal.
#pragma once

#include <vector>

#include "components.hpp"
#include "images.hpp"
#include "reconcile/model.hpp"
#include "reconcile/step.hpp"

namespace reconcile::detail {

// `current` may be an empty app (the target app is new on the device).
[[nodiscard]] std::vector<Step> plan_app_update(const App& current, const App& target,
                                                const Context& context, const ImageIndex& images);

// The app is in no target: lock, kill every container, then remove its
// networks and (unless keepVolumes) its volumes, then release the lock.
[[nodiscard]] std::vector<Step> plan_app_removal(const App& current, const Context& context);

}  // namespace reconcile::detail
