#include "engine/exec/model_device.hpp"

#include <fmt/format.h>

namespace engine {

Status ModelDevice::read(Snapshot& out) {
  const std::lock_guard<std::mutex> lock(mutex_);
  out.current = world_.current;
  out.context = world_.context;
  return Status::success();
}

Status ModelDevice::run(const reconcile::Step& step, const CancelFlag& cancel, const ProgressFn& progress) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (cancel) return Status::failure(ErrorKind::Cancelled, "cancelled");
  ++steps_run_;
  auto failure = failures_.find(reconcile::action_name(step));
  if (failure != failures_.end() && failure->second.first > 0) {
    --failure->second.first;
    return failure->second.second;
  }
  if (const auto* take = std::get_if<reconcile::TakeLock>(&step);
      take != nullptr && !take->force && user_locks_.contains(take->app_id)) {
    return Status::failure(ErrorKind::Locked, fmt::format("Updates are locked: a service of app {} holds the lock",
                                                          take->app_id));
  }
  if (progress && std::holds_alternative<reconcile::Fetch>(step)) progress(step, 100);
  reconcile::apply(world_, step, user_locks_);
  world_.context.now += 1;
  return Status::success();
}

void ModelDevice::fail_next(const std::string& action, int count, const std::string& message, ErrorKind kind) {
  const std::lock_guard<std::mutex> lock(mutex_);
  failures_[action] = {count, Error{kind, message}};
}

void ModelDevice::hold_user_lock(reconcile::AppId app) {
  const std::lock_guard<std::mutex> lock(mutex_);
  user_locks_.insert(app);
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
