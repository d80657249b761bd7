// The model-engine driver: plan, apply every step with the model engine,
// plan again, until the plan is empty, the world stops changing, or a bound
// on the number of batches is reached.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "reconcile/model.hpp"
#include "reconcile/model_engine.hpp"
#include "reconcile/step.hpp"
#include "reconcile/testing/scenario.hpp"

namespace reconcile::testing {

// Any planner with next_steps' signature: the one under test.
using Planner = std::function<std::vector<Step>(const State& current, const State& target,
                                                const Context& context)>;

// One planner call and what it saw.
struct Batch {
  World before;           // the world the planner was called on
  UserLocks user_locks;   // the user locks at that time
  std::vector<Step> steps;
};

enum class Ending {
  Converged,         // an empty plan with no reboot pending
  StuckOnUserLocks,  // the plan no longer changes the world (see drive())
  OutOfBatches,      // the bound was reached
};

struct Run {
  std::vector<Batch> batches;  // reboots are not batches
  World final;
  UserLocks user_locks;        // at the end (a forced takeLock breaks one)
  Ending ending = Ending::OutOfBatches;
  std::size_t reboots = 0;
};

// The bound on planner calls: 6 per service of current and target, 4 per
// app, plus 12. Derivation in docs/properties.md.
[[nodiscard]] std::size_t batch_bound(const Scenario& scenario);

// Drives `planner` from the scenario's device towards its target:
// - a batch is applied step by step (reconcile::apply with the user locks);
// - a batch of noops only, or one that changed nothing, stands for time
//   passing: downloads finish and executor transitions (stopping, hand-over)
//   complete;
// - an empty plan with the reboot breadcrumb set reboots the device
//   (reconcile::reboot) and planning goes on;
// - a batch that changes nothing even after time passed ends the run as
//   StuckOnUserLocks: the convergence property then checks that only apps a
//   user lock holds are left with steps.
[[nodiscard]] Run drive(const Planner& planner, const Scenario& scenario);
[[nodiscard]] Run drive(const Planner& planner, const Scenario& scenario, std::size_t bound);

// The run as text: every batch, explained, with reboots and the ending.
[[nodiscard]] std::string show_run(const Run& run);

}  // namespace reconcile::testing
