// Small facts about states that the properties share. Written from the
// reference (balena-supervisor-behaviour.md §3), not from the planner's
// sources, so that a property does not inherit a planner bug.
#pragma once

#include <string>

#include "reconcile/model.hpp"

namespace reconcile::testing::detail {

[[nodiscard]] const App* find_app(const State& state, AppId app_id);
[[nodiscard]] const Service* find_service(const App& app, const std::string& name);

// The engine has the image of a target service (a record of that name, or
// the target carries the engine's image id).
[[nodiscard]] bool image_available(const Context& context, const Service& target);

// Created but never started (§3.5).
[[nodiscard]] bool never_started(const Service& container);

// The container runs the target's configuration and release: same config
// key, image, networks joined, commit, release and image id.
[[nodiscard]] bool runs_release_of(const Service& container, const Service& target);

// Config equality of networks and volumes as §3.8 defines it: the labels the
// supervisor adds are ignored, IPAM pools only count when the target names
// some, the driver does not count for a config-only target.
[[nodiscard]] bool same_config(const Network& current, const Network& target);
[[nodiscard]] bool same_config(const Volume& current, const Volume& target);

}  // namespace reconcile::testing::detail
