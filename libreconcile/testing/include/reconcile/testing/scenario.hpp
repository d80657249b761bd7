// Random devices and targets for property tests (RapidCheck generators).
//
// A Scenario is one plan request (current, target, context) plus what only
// the model knows: the apps whose update lock a user service holds. The
// generators draw from small pools of app ids, service, network and volume
// names, commits and images, so that current and target overlap in the ways
// that matter: same service with a new release or config, removed and added
// services, duplicate containers and networks, changed network and volume
// configs, images on the device or downloading, locks, flags.
#pragma once

#include <ostream>
#include <rapidcheck.h>

#include "reconcile/model.hpp"
#include "reconcile/model_engine.hpp"

namespace reconcile::testing {

struct Scenario {
  State current;
  State target;
  Context context;
  UserLocks user_locks;  // disjoint from context.locks_held
  friend bool operator==(const Scenario&, const Scenario&) = default;
};

// Prints the plan request JSON (the form `supervisor plan` reads) and the
// user locks, so a counterexample can be replayed with the CLI.
std::ostream& operator<<(std::ostream& os, const Scenario& scenario);

// Any device and target.
[[nodiscard]] rc::Gen<Scenario> gen_scenario();

// A device that already runs its target: every accepted target app is
// installed with its release, networks, volumes and recorded images; nothing
// downloads, no lock is held. Rejected apps keep whatever they run.
[[nodiscard]] rc::Gen<Scenario> gen_settled_scenario();

// The number of services in current and target, the measure the bounds of
// the properties are stated in.
[[nodiscard]] std::size_t service_count(const Scenario& scenario);

}  // namespace reconcile::testing
