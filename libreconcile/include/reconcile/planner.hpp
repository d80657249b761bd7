// The planner: from what a device runs, what it should run and what else is
// known, the batch of steps that may run now, in parallel.
//
// Pure: no I/O, no clock, no threads, no globals. The same arguments always
// give the same steps, whatever the order of the input lists. The caller runs
// the batch, takes a new snapshot and asks again until the batch is empty.
#pragma once

#include <vector>

#include "reconcile/model.hpp"
#include "reconcile/step.hpp"

namespace reconcile {

[[nodiscard]] std::vector<Step> next_steps(const State& current, const State& target,
                                           const Context& context);

}  // namespace reconcile
