#include "reconcile/testing/driver.hpp"

#include <set>
#include <utility>

#include <fmt/format.h>

#include <range/v3/range/conversion.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/move.hpp>
#include <range/v3/view/transform.hpp>

#include "reconcile/converge.hpp"
#include "reconcile/testing/show.hpp"

namespace reconcile::testing {
namespace {

Ending ending_of(ConvergeEnd end) {
  switch (end) {
    case ConvergeEnd::Converged: return Ending::Converged;
    case ConvergeEnd::Stalled: return Ending::StuckOnUserLocks;
    case ConvergeEnd::OutOfBatches: return Ending::OutOfBatches;
  }
  return Ending::OutOfBatches;
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

// Reboots do not count against the bound, but each needs a requireReboot
// batch before it (or the breadcrumb set at the start), so they are few.
Run drive(const Planner& planner, const Scenario& scenario, std::size_t bound) {
  Convergence converged =
      converge(planner, scenario.current, scenario.target, scenario.context, scenario.user_locks, bound);
  Run run;
  run.batches = converged.rounds | ranges::views::move |
                ranges::views::filter([](const Round& round) { return round.kind == RoundKind::Batch; }) |
                ranges::views::transform([](Round round) {
                  return Batch{std::move(round.before), std::move(round.user_locks), std::move(round.steps)};
                }) |
                ranges::to<std::vector>();
  run.final = std::move(converged.final);
  run.user_locks = std::move(converged.user_locks);
  run.ending = ending_of(converged.end);
  run.reboots = converged.reboots;
  return run;
}

std::string show_run(const Run& run) {
  std::string out;
  std::size_t n = 0;
  for (const Batch& batch : run.batches) {
    out += fmt::format("batch {}:\n{}", ++n, show_batch(batch.steps, "  "));
  }
  out += fmt::format("reboots: {}, ending: ", run.reboots);
  switch (run.ending) {
    case Ending::Converged: out += "converged"; break;
    case Ending::StuckOnUserLocks: out += "the plan stopped changing the device"; break;
    case Ending::OutOfBatches: out += "out of batches"; break;
  }
  return out + "\n";
}

}  // namespace reconcile::testing
