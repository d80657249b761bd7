#include "reconcile/testing/driver.hpp"

#include <algorithm>

#include "reconcile/testing/show.hpp"

namespace reconcile::testing {
namespace {

bool only_noops(const std::vector<Step>& steps) {
  return std::all_of(steps.begin(), steps.end(), [](const Step& s) { return std::holds_alternative<Noop>(s); });
}

// The world as the planner sees it, without the clock.
bool same_but_time(World a, const World& b) {
  a.context.now = b.context.now;
  return a == b;
}

}  // namespace

std::size_t batch_bound(const Scenario& scenario) {
  std::set<AppId> apps;
  for (const State* state : {&scenario.current, &scenario.target}) {
    for (const App& app : state->apps) apps.insert(app.app_id);
  }
  return 6 * service_count(scenario) + 4 * apps.size() + 12;
}

Run drive(const Planner& planner, const Scenario& scenario) { return drive(planner, scenario, batch_bound(scenario)); }

Run drive(const Planner& planner, const Scenario& scenario, std::size_t bound) {
  Run run;
  run.final = World{scenario.current, scenario.context};
  run.user_locks = scenario.user_locks;
  World& world = run.final;
  // Reboots do not count against the bound, but each needs a requireReboot
  // batch before it (or the breadcrumb set at the start), so they are few.
  while (run.batches.size() < bound) {
    std::vector<Step> steps = planner(world.current, scenario.target, world.context);
    if (steps.empty()) {
      if (world.context.reboot_breadcrumb_set && run.reboots <= bound) {
        reboot(world);
        ++run.reboots;
        continue;
      }
      run.ending = Ending::Converged;
      return run;
    }
    run.batches.push_back(Batch{world, run.user_locks, steps});
    const World before = world;
    apply_batch(world, steps, run.user_locks);
    if (only_noops(steps) || same_but_time(world, before)) {
      finish_downloads(world, scenario.target);
      settle_transitions(world);
      if (same_but_time(world, before)) {
        run.ending = Ending::StuckOnUserLocks;
        return run;
      }
    }
  }
  run.ending = Ending::OutOfBatches;
  return run;
}

std::string show_run(const Run& run) {
  std::string out;
  std::size_t n = 0;
  for (const Batch& batch : run.batches) {
    out += "batch " + std::to_string(++n) + ":\n" + show_batch(batch.steps, "  ");
  }
  out += "reboots: " + std::to_string(run.reboots) + ", ending: ";
  switch (run.ending) {
    case Ending::Converged: out += "converged"; break;
    case Ending::StuckOnUserLocks: out += "the plan stopped changing the device"; break;
    case Ending::OutOfBatches: out += "out of batches"; break;
  }
  return out + "\n";
}

}  // namespace reconcile::testing
