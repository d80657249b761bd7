// Helpers shared by the status projections.
#pragma once

#include <string>
#include <vector>

#include "reconcile/status.hpp"

namespace reconcile::status_detail {

// The commit of a target app's release: the app's, else its services'.
[[nodiscard]] std::string target_commit(const App& target);

[[nodiscard]] const App* find_app(const State& state, AppId app_id);

// The releases of one target app found on the device and in the target,
// by commit, each with its services by name and its update_status.
[[nodiscard]] std::vector<ReleaseReport> releases_of(const App& target, const StatusInput& input);

}  // namespace reconcile::status_detail
