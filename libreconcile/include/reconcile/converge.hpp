// Run until converged: plan, apply the batch with the model engine, plan
// again, until the plan is empty. The one loop behind `supervisor plan
// --all` and the property harness (reconcile::testing::drive). Pure, like
// the planner and the model engine.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "reconcile/model.hpp"
#include "reconcile/model_engine.hpp"
#include "reconcile/step.hpp"

namespace reconcile {

// Any planner with next_steps' signature.
using PlanFunction =
    std::function<std::vector<Step>(const State& current, const State& target, const Context& context)>;

enum class RoundKind {
  Batch,   // the planner's steps, applied in order
  Reboot,  // the plan was empty with the reboot breadcrumb set: the model device rebooted
};

// One round of a run and the world it started from.
struct Round {
  RoundKind kind = RoundKind::Batch;
  World before;            // the world the planner saw (for a reboot: the world before it)
  UserLocks user_locks;    // the user locks at that time
  std::vector<Step> steps;  // empty for a reboot
  friend bool operator==(const Round&, const Round&) = default;
};

enum class ConvergeEnd {
  Converged,     // an empty plan with no reboot pending
  Stalled,       // a batch changed nothing even after time passed: a user lock holds an app,
                 // or the planner asks for something the model never does
  OutOfBatches,  // max_batches batches (or as many reboots) without an empty plan
};

struct Convergence {
  std::vector<Round> rounds;  // batches and reboots, in order
  World final;
  UserLocks user_locks;  // at the end (a forced takeLock breaks one)
  ConvergeEnd end = ConvergeEnd::OutOfBatches;
  std::size_t batches = 0;  // rounds of kind Batch
  std::size_t reboots = 0;  // rounds of kind Reboot
  friend bool operator==(const Convergence&, const Convergence&) = default;
};

// Drives `planner` from (current, context) towards `target`:
// - a batch is applied step by step with reconcile::apply (a takeLock of an
//   app in `user_locks` fails unless forced), then context.now advances;
// - a batch of noops only, or one that changed nothing but the clock,
//   stands for time passing: downloads of target images finish
//   (finish_downloads) and executor transitions complete
//   (settle_transitions); if the world still did not change, the run ends
//   as Stalled;
// - an empty plan with the reboot breadcrumb set reboots the model device
//   (reconcile::reboot) and planning goes on; reboots do not count as
//   batches, but a run ends as OutOfBatches after max_batches of them.
[[nodiscard]] Convergence converge(const PlanFunction& planner, const State& current, const State& target,
                                   const Context& context, const UserLocks& user_locks, std::size_t max_batches);
// reconcile::next_steps, and no user holds a lock.
[[nodiscard]] Convergence converge(const State& current, const State& target, const Context& context,
                                   std::size_t max_batches);

}  // namespace reconcile
