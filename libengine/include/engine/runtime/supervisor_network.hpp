// supervisor0: the bridge the supervisor owns, on which the services that use
// the supervisor API (label io.balena.features.supervisor-api) reach it at its
// gateway. Made as the balena supervisor makes it (balena-supervisor-
// behaviour.md §2.3): bridge name supervisor0, subnet 10.114.104.0/25,
// gateway 10.114.104.1, no labels. The planner decides when it is made anew
// (reconcile::EnsureSupervisorNetwork); these are the engine calls.
#pragma once

#include <string_view>

#include "engine/common/error.hpp"
#include "engine/docker/client.hpp"

namespace engine::supervisor_network {

inline constexpr const char* kName = "supervisor0";
inline constexpr const char* kSubnet = "10.114.104.0/25";
inline constexpr const char* kGateway = "10.114.104.1";

// Whether a network's inspect document (GET /networks/{id}) is supervisor0 as
// the supervisor makes it.
[[nodiscard]] bool is_as_made(std::string_view inspect_json);

// Whether the engine holds supervisor0 as the supervisor makes it: false when
// it is missing or differs, an error when the engine cannot say.
[[nodiscard]] Result<bool> ready(const docker::Client& docker);

// Removes a supervisor0 that differs, then creates it. A concurrent create by
// someone else (409) is fine: the next snapshot checks what was made.
[[nodiscard]] Status ensure(const docker::Client& docker);

}  // namespace engine::supervisor_network
