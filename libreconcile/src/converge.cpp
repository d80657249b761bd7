#include "reconcile/converge.hpp"

#include <range/v3/algorithm/all_of.hpp>

#include "reconcile/planner.hpp"

namespace reconcile {
namespace {

bool only_noops(const std::vector<Step>& steps) {
  return ranges::all_of(steps, [](const Step& step) { return std::holds_alternative<Noop>(step); });
}

// The world as the planner sees it, but for the clock.
bool same_but_time(World a, const World& b) {
  a.context.now = b.context.now;
  return a == b;
}

}  // namespace

Convergence converge(const PlanFunction& planner, const State& current, const State& target, const Context& context,
                     const UserLocks& user_locks, std::size_t max_batches) {
  Convergence run;
  run.final = World{current, context};
  run.user_locks = user_locks;
  World& world = run.final;
  while (run.batches < max_batches) {
    std::vector<Step> steps = planner(world.current, target, world.context);
    if (steps.empty()) {
      if (!world.context.reboot_breadcrumb_set) {
        run.end = ConvergeEnd::Converged;
        return run;
      }
      if (run.reboots == max_batches) break;  // a planner that asks for reboots forever
      run.rounds.push_back(Round{RoundKind::Reboot, world, run.user_locks, {}});
      reboot(world);
      ++run.reboots;
      continue;
    }
    run.rounds.push_back(Round{RoundKind::Batch, world, run.user_locks, steps});
    ++run.batches;
    const World& before = run.rounds.back().before;
    apply_batch(world, steps, run.user_locks);
    if (only_noops(steps) || same_but_time(world, before)) {
      finish_downloads(world, target);
      settle_transitions(world);
      if (same_but_time(world, before)) {
        run.end = ConvergeEnd::Stalled;
        return run;
      }
    }
  }
  run.end = ConvergeEnd::OutOfBatches;
  return run;
}

Convergence converge(const State& current, const State& target, const Context& context, std::size_t max_batches) {
  return converge(next_steps, current, target, context, UserLocks{}, max_batches);
}

}  // namespace reconcile
