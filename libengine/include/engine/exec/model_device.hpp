// A device simulated by the model engine: a StateReader and a StepExecutor
// whose effects are reconcile::apply. Used to test the apply loop and the
// daemon's API without a Docker engine; failures can be injected per action.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "engine/exec/ports.hpp"
#include "reconcile/model_engine.hpp"

namespace engine {

class ModelDevice : public StateReader, public StepExecutor {
 public:
  explicit ModelDevice(reconcile::World world) : world_(std::move(world)) {}

  Status read(Snapshot& out) override;
  Status run(const reconcile::Step& step, const CancelFlag& cancel, const ProgressFn& progress) override;

  // The next `count` steps with this action name fail with `message`.
  void fail_next(const std::string& action, int count, const std::string& message,
                 ErrorKind kind = ErrorKind::Refused);
  // A user service of the app holds its update lock: an unforced takeLock
  // fails with ErrorKind::Locked; a forced one deletes it, as the executor.
  void hold_user_lock(reconcile::AppId app);
  // A copy of the simulated device.
  [[nodiscard]] reconcile::World world() const;
  [[nodiscard]] int steps_run() const;

 private:
  mutable std::mutex mutex_;
  reconcile::World world_;
  std::map<std::string, std::pair<int, Error>> failures_;
  reconcile::UserLocks user_locks_;
  int steps_run_ = 0;
};

}  // namespace engine
