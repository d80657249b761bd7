#include "engine/exec/model_device.hpp"

namespace engine {

Status ModelDevice::read(Snapshot& out) {
  const std::lock_guard<std::mutex> lock(mutex_);
  out.current = world_.current;
  out.context = world_.context;
  return Status::success();
}

Status ModelDevice::run(const reconcile::Step& step, const CancelFlag& cancel, const ProgressFn& progress) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (cancel) return Status::failure("cancelled");
  ++steps_run_;
  auto failure = failures_.find(reconcile::action_name(step));
  if (failure != failures_.end() && failure->second.first > 0) {
    --failure->second.first;
    return Status::failure(failure->second.second);
  }
  if (progress && std::holds_alternative<reconcile::Fetch>(step)) progress(step, 100);
  reconcile::apply(world_, step);
  world_.context.now += 1;
  return Status::success();
}

void ModelDevice::fail_next(const std::string& action, int count, const std::string& message) {
  const std::lock_guard<std::mutex> lock(mutex_);
  failures_[action] = {count, message};
}

reconcile::World ModelDevice::world() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return world_;
}

int ModelDevice::steps_run() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return steps_run_;
}

}  // namespace engine
