// Small facts about one service or one pair of (current, target) services.
#pragma once

#include <optional>
#include <string_view>

#include "reconcile/model.hpp"

namespace reconcile::detail {

// A step of the executor is under way on the container (stop, hand-over):
// the planner waits for it.
[[nodiscard]] bool in_transition(const Service& current);

// The container runs now.
[[nodiscard]] bool is_running(const Service& current);

// Created but never started: the supervisor starts those itself; any other
// stopped container is left to the engine's restart policy.
[[nodiscard]] bool never_started(const Service& current);

// The engine could not start the container because of the userland proxy
// bind error; the engine will not retry it, so the supervisor does.
[[nodiscard]] bool failed_on_userland_proxy(const Service& current);

// Same configuration: no recreate is needed (the release may still differ).
// Images are the same by name, or by engine id: the container's against
// `target_image_id`, the target's engine id when known (its docker_image_id,
// or the id of the engine image its name refers to).
[[nodiscard]] bool same_config(const Service& current, const Service& target,
                               std::optional<std::string_view> target_image_id);

// Same release: container name <service>_<imageId>_<releaseId>_<commit>.
[[nodiscard]] bool same_release(const Service& current, const Service& target);

// The container mounts or joins `name`.
[[nodiscard]] bool uses_network(const Service& service, const std::string& name);
[[nodiscard]] bool uses_volume(const Service& service, const std::string& name);

}  // namespace reconcile::detail
