// Intermediate targets: what the local API's service actions (restart, stop,
// start) ask the apply loop to reach before it returns to the device's own
// target, as the balena supervisor does. They start from what runs now, so
// an action never also applies a pending update.
#pragma once

#include <string>

#include "reconcile/model.hpp"

namespace reconcile {

// The current state as a target that plans no step: the same services
// (without container ids and engine statuses), networks and volumes.
[[nodiscard]] State as_target(const State& current);

// `target` without the app's services (service_name empty: all of them);
// networks and volumes stay, so restarting keeps them.
[[nodiscard]] State without_services(State target, AppId app, const std::string& service_name = "");

// `target` without the app at all: its services, networks and volumes go
// (a purge, when the loop may remove volumes).
[[nodiscard]] State without_app(State target, AppId app);

// `target` with the service's `running` set (stop and start).
[[nodiscard]] State with_running(State target, AppId app, const std::string& service_name, bool running);

}  // namespace reconcile
