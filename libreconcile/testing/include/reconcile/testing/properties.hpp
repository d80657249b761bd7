// Properties every planner must have, checkable on ANY planner function.
//
// In a few lines, with Catch2 and rapidcheck_catch:
//
//   #include <rapidcheck/catch.h>
//   #include <reconcile/testing/properties.hpp>
//   TEST_CASE("my planner is safe and convergent") {
//     for (auto p : reconcile::testing::all_properties())
//       rc::prop(reconcile::testing::name_of(p),
//                [p] { reconcile::testing::run_property(p, my_planner); });
//   }
//
// or without a test framework: reconcile::testing::check(p, my_planner).
// What each property checks, precisely, is in docs/properties.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reconcile/testing/driver.hpp"
#include "reconcile/testing/scenario.hpp"

namespace reconcile::testing {

enum class Property {
  Determinism,         // the same request with its lists shuffled gives the same plan
  Convergence,         // plan/apply reaches an empty plan within batch_bound and matches the target
  Idempotence,         // a device that runs its target gets an empty plan
  UserLocksRespected,  // nothing lock-gated touches an app a user service locks, unless force
  DownloadBeforeKill,  // download-then-kill kills only once every image of the release is there
  ImagesInUseKept,     // no image a container or a target service uses is removed
  VolumesKept,         // no volume of an app that stays is removed, unless its config changes
  DependenciesFirst,   // no service starts before its dependencies run
  RejectedUntouched,   // a rejected app is never moved towards its target
};

[[nodiscard]] const std::vector<Property>& all_properties();
[[nodiscard]] const char* name_of(Property property);

// The scenarios a property runs on (the settled ones for Idempotence).
[[nodiscard]] rc::Gen<Scenario> scenarios_for(Property property);

// The property on one scenario: fails through RapidCheck (RC_FAIL) with a
// readable account (the batch, the violation). Determinism draws its shuffle
// with RapidCheck, so this must run inside rc::check / rc::prop.
void check_scenario(Property property, const Planner& planner, const Scenario& scenario);

// Draws a scenario and checks it: the body of an rc::prop / rc::check.
void run_property(Property property, const Planner& planner);

// A violation of one of the safety properties in one batch, if any; the
// batch is `run.batches[index]`. Used by check_scenario; public so that a
// harness can check the batches of its own runs.
[[nodiscard]] std::optional<std::string> safety_violation(Property property, const Scenario& scenario,
                                                          const Batch& batch);

// Why the run's end state does not match the target, if it does not.
[[nodiscard]] std::optional<std::string> convergence_failure(const Scenario& scenario, const Run& run);

struct CheckOptions {
  std::optional<std::uint64_t> seed;  // default: RC_PARAMS, else random
  std::optional<int> max_success;     // default: RC_PARAMS, else 100
  bool shrink = true;
  bool print = true;  // the result (and the shrunk counterexample) on stderr
};

// Runs the property with RapidCheck; true when it held.
[[nodiscard]] bool check(Property property, const Planner& planner, const CheckOptions& options = {});

}  // namespace reconcile::testing
