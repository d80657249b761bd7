#include "engine/exec/batch.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include <fmt/format.h>

namespace engine {

std::vector<StepResult> run_batch(StepExecutor& executor, const std::vector<reconcile::Step>& steps,
                                  std::size_t parallelism, const CancelFlag& cancel,
                                  const ProgressFn& progress) {
  std::vector<StepResult> results(steps.size());
  std::atomic<std::size_t> next{0};
  // Each worker takes the next step not yet started; a step is never run
  // twice and results land in the step's own slot.
  auto worker = [&] {
    for (std::size_t i = next++; i < steps.size(); i = next++) {
      const auto started = std::chrono::steady_clock::now();
      if (cancel) {
        results[i].status = Status::failure(ErrorKind::Cancelled, "cancelled before it started");
        continue;
      }
      try {
        results[i].status = executor.run(steps[i], cancel, progress);
      } catch (const std::exception& error) {  // an executor bug must not kill the daemon
        results[i].status = Status::failure(ErrorKind::Refused, fmt::format("unexpected error: {}", error.what()));
      } catch (...) {
        results[i].status = Status::failure(ErrorKind::Refused, "unexpected error");
      }
      results[i].seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
  };
  const std::size_t threads = std::clamp<std::size_t>(parallelism, 1, std::max<std::size_t>(steps.size(), 1));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
  return results;
}

}  // namespace engine
