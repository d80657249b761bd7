// Runs one batch of steps, in parallel up to a bound: every step of a batch
// may run at once by the planner's contract, but a device has few cores and
// one engine. Each step gets a result; one failure does not stop the others.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/exec/ports.hpp"

namespace engine {

struct StepResult {
  Status status;
  double seconds = 0;  // wall time of the step
};

[[nodiscard]] std::vector<StepResult> run_batch(StepExecutor& executor,
                                                const std::vector<reconcile::Step>& steps,
                                                std::size_t parallelism, const CancelFlag& cancel,
                                                const ProgressFn& progress);

}  // namespace engine
