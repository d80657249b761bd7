// The seams between the daemon's apply loop and the world: reading the
// current state (snapshot) and carrying out one step (executor). The Docker
// implementations live beside the Docker client; tests plug in the model
// engine instead (engine/exec/model_device.hpp).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "engine/common/error.hpp"
#include "reconcile/model.hpp"
#include "reconcile/step.hpp"

namespace engine {

// What the planner needs to know about the device right now.
struct Snapshot {
  reconcile::State current;
  reconcile::Context context;
};

class StateReader {
 public:
  virtual ~StateReader() = default;
  // Fills `out` (replacing its contents) or says why it could not.
  [[nodiscard]] virtual Status read(Snapshot& out) = 0;
};

// Progress of a long step (image pulls): percent 0-100, or -1 when unknown.
using ProgressFn = std::function<void(const reconcile::Step& step, int percent)>;

// Set by the apply loop to abandon work in progress (a new target arrived,
// the daemon stops). Steps check it between engine calls and pulls abort.
using CancelFlag = std::atomic<bool>;

class StepExecutor {
 public:
  virtual ~StepExecutor() = default;
  // Carries out one step. Must be safe to call from several threads at once
  // for the steps of one batch. Never throws: failures come back as Status.
  [[nodiscard]] virtual Status run(const reconcile::Step& step, const CancelFlag& cancel,
                                   const ProgressFn& progress) = 0;
};

}  // namespace engine
