#include "apply_loop.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/exec/batch.hpp"
#include "reconcile/intermediate.hpp"
#include "reconcile/plan_text.hpp"
#include "reconcile/planner.hpp"
#include "reconcile/system_message.hpp"

namespace supervisor {
namespace {

bool only_noops(const std::vector<reconcile::Step>& steps) {
  return std::all_of(steps.begin(), steps.end(),
                     [](const reconcile::Step& s) { return std::holds_alternative<reconcile::Noop>(s); });
}

}  // namespace

reconcile::ApplyProgress apply_progress(const ApplyStatus& status) {
  reconcile::ApplyProgress progress;
  progress.has_target = status.has_target;
  progress.run_in_progress = status.applying;
  progress.last_plan_empty = status.settled;
  progress.failures = status.failures;
  progress.last_error = status.last_error;
  progress.download_progress = status.download_progress;
  return progress;
}

ApplyLoop::ApplyLoop(engine::StateReader& reader, engine::StepExecutor& executor, Logger& log, ApplyOptions options,
                     Clock& clock)
    : reader_(reader), executor_(executor), log_(log), options_(options), clock_(clock) {}

void ApplyLoop::set_target(reconcile::State target, engine::Force force) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    target_ = std::move(target);
    running_overrides_.clear();
    force_ = force;
    status_.has_target = true;
    // Applying from now, not from when the loop thread takes it up: a client
    // that posts a target and asks the status at once (`balena push`'s
    // livepush) must not read the earlier target's "applied".
    status_.settled = false;
    status_.failures = 0;  // a new target deserves an immediate try
    triggered_ = true;
    target_changed_ = true;
    cancel_ = true;
  }
  wake_.notify_all();
}

std::optional<reconcile::State> ApplyLoop::target() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return target_;
}

void ApplyLoop::trigger(const std::string& why, engine::Force force) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (force == engine::Force::Yes) force_ = force;
    if (triggered_) return;
    triggered_ = true;
  }
  log_.info("trigger", fmt::format("re-planning: {}", why));
  wake_.notify_all();
}

void ApplyLoop::override_running(reconcile::AppId app, const std::string& service, std::optional<bool> running) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (running) {
    running_overrides_[{app, service}] = *running;
  } else {
    running_overrides_.erase({app, service});
  }
}

engine::Status ApplyLoop::apply_intermediate(reconcile::State target, engine::Force force, Volumes volumes) {
  const std::lock_guard<std::mutex> one(one_intermediate_);
  Intermediate request{std::move(target), force, volumes, std::nullopt};
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_) return engine::Status::failure(engine::ErrorKind::Cancelled, "the supervisor is stopping");
  intermediate_ = &request;
  cancel_ = true;  // the run in progress gives way
  wake_.notify_all();
  intermediate_done_.wait(lock, [&] { return request.outcome.has_value(); });
  return *request.outcome;
}

void ApplyLoop::stop() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cancel_ = true;
    if (intermediate_ != nullptr) {
      intermediate_->outcome = engine::Status::failure(engine::ErrorKind::Cancelled, "the supervisor is stopping");
      intermediate_ = nullptr;
    }
  }
  wake_.notify_all();
  intermediate_done_.notify_all();
}

ApplyStatus ApplyLoop::status() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void ApplyLoop::heartbeat() const {
  if (on_heartbeat) on_heartbeat();
}

std::chrono::milliseconds ApplyLoop::backoff() const {
  // 500 ms x 2^(failures-1), capped: 0.5 s, 1 s, 2 s, ... backoff_max.
  auto delay = options_.backoff_initial;
  for (int i = 1; i < status_.failures && delay < options_.backoff_max; ++i) delay *= 2;
  return std::min(delay, options_.backoff_max);
}

reconcile::State ApplyLoop::effective_target() const {
  reconcile::State target = *target_;
  for (const auto& [service, running] : running_overrides_) {
    target = reconcile::with_running(std::move(target), service.first, service.second, running);
  }
  return target;
}

void ApplyLoop::wait_for(std::chrono::milliseconds delay, Wake wake) {
  const auto deadline = clock_.now() + delay;
  std::unique_lock<std::mutex> lock(mutex_);
  const auto woken = [&] {
    return stopping_ || target_changed_ || intermediate_ != nullptr || (wake == Wake::OnTrigger && triggered_);
  };
  // Wake at least every second for the watchdog.
  while (!woken() && clock_.now() < deadline) {
    clock_.wait_until(wake_, lock, std::min(deadline, clock_.now() + std::chrono::seconds(1)));
    lock.unlock();
    heartbeat();
    lock.lock();
  }
}

void ApplyLoop::run_intermediate() {
  engine::Force force = engine::Force::No;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    cancel_ = false;
    force = intermediate_->force;
  }
  engine::Error failure;
  const RunEnd end = apply_once(RunKind::Intermediate, force, failure);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (intermediate_ != nullptr) {
      intermediate_->outcome = end == RunEnd::Settled ? engine::Status::success() : engine::Status(failure);
      intermediate_ = nullptr;
    }
    triggered_ = true;  // back to the device's own target
  }
  intermediate_done_.notify_all();
}

void ApplyLoop::run() {
  log_.info("apply-loop", "started");
  while (true) {
    std::chrono::milliseconds delay;
    Wake wake = Wake::OnTrigger;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
      // After a failure only a new target cuts the backoff short: engine
      // events (our own kills among them) must not turn it into a hot loop.
      if (status_.failures > 0) {
        delay = backoff();
        wake = Wake::OnTargetOnly;
      } else {
        delay = triggered_ ? std::chrono::milliseconds(0) : options_.recheck;
      }
    }
    wait_for(delay, wake);
    engine::Force force = engine::Force::No;
    bool intermediate = false;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
      intermediate = intermediate_ != nullptr;
      if (!intermediate) {
        triggered_ = false;
        target_changed_ = false;
        cancel_ = false;
        if (!target_) continue;  // nothing to apply before the first target
        force = force_;
        status_.applying = true;
        status_.run_started_ms = clock_.wall_ms();
        status_.last_progress_ms = status_.run_started_ms;
      }
    }
    if (intermediate) {  // an API action waits for it: it goes first
      run_intermediate();
      continue;
    }
    engine::Error failure;
    const RunEnd end = apply_once(RunKind::Target, force, failure);
    const std::lock_guard<std::mutex> lock(mutex_);
    status_.applying = false;
    status_.download_progress.clear();
    if (end == RunEnd::Settled) {
      status_.settled = true;
      status_.failures = 0;
      status_.last_error.clear();
      status_.last_error_kind.reset();
      status_.last_settled_ms = clock_.wall_ms();
      force_ = engine::Force::No;  // force lasts until the target is reached
    } else if (end == RunEnd::Failed) {
      status_.settled = false;
      status_.last_error_kind = failure.kind;
      ++status_.failures;
      log_.warn("backoff", "retrying after a failure",
                {{"failures", fmt::to_string(status_.failures)}, {"delay_ms", fmt::to_string(backoff().count())}});
    } else {
      status_.settled = false;
    }
  }
  log_.info("apply-loop", "stopped");
}

ApplyLoop::RunEnd ApplyLoop::apply_once(RunKind kind, engine::Force force, engine::Error& failure) {
  const auto failed = [&](engine::Error error) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (kind == RunKind::Target) status_.last_error = error.message;
    failure = std::move(error);
    return RunEnd::Failed;
  };
  for (int batch = 1; batch <= options_.max_batches; ++batch) {
    heartbeat();
    reconcile::State target;
    Volumes volumes = Volumes::Keep;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_ || cancel_) {
        failure = engine::Error{engine::ErrorKind::Cancelled, "interrupted"};
        return RunEnd::Interrupted;
      }
      target = kind == RunKind::Intermediate ? intermediate_->target : effective_target();
      if (kind == RunKind::Intermediate) volumes = intermediate_->volumes;
    }
    engine::Snapshot snapshot;
    if (const engine::Status read = reader_.read(snapshot); !read.ok()) {
      log_.error("snapshot", "cannot read the device's state", {{"error", read.error().describe()}});
      return failed({read.error().kind, fmt::format("reading the device's state: {}", read.error().message)});
    }
    snapshot.context.force = force == engine::Force::Yes;
    if (kind == RunKind::Intermediate) {
      // As balena: an API action never removes images, nor volumes but for
      // a purge, and a service it asks to run is started even if it ran before.
      snapshot.context.keep_images = true;
      snapshot.context.keep_volumes = volumes == Volumes::Keep;
      snapshot.context.start_stopped = true;
    }
    const auto steps = reconcile::next_steps(snapshot.current, target, snapshot.context);
    if (steps.empty()) {
      // Said once per change, not at every periodic re-check.
      if (batch > 1) log_.info("settled", "the device runs its target");
      return RunEnd::Settled;
    }
    if (only_noops(steps)) {
      wait_for(options_.noop_wait, Wake::OnTargetOnly);
      continue;
    }
    log_.info("plan", "running a batch", {{"batch", fmt::to_string(batch)}, {"steps", fmt::to_string(steps.size())}});
    for (const auto& step : steps) {
      if (!std::holds_alternative<reconcile::Noop>(step)) {
        log_.system(Level::Info, "step", reconcile::reason_of(step),
                    reconcile::system_message(step, reconcile::StepPhase::Started).value_or(""),
                    {{"action", reconcile::action_name(step)}, {"what", reconcile::describe(step)}});
      }
    }
    const auto progress = [this](const reconcile::Step& step, int percent) {
      const auto* fetch = std::get_if<reconcile::Fetch>(&step);
      if (fetch == nullptr) return;
      bool report = false;
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        int& last = status_.download_progress[fetch->image.name];
        report = percent >= last + 10 || percent == 100;  // a line every 10%
        if (percent != last) status_.last_progress_ms = clock_.wall_ms();
        last = std::max(last, percent);
      }
      if (report) {
        log_.info("download", "pulling", {{"image", fetch->image.name}, {"progress", fmt::format("{}%", percent)}});
      }
      heartbeat();
    };
    const auto results = engine::run_batch(executor_, steps, options_.parallelism, cancel_, progress);
    std::optional<engine::Error> first_error;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (std::holds_alternative<reconcile::Noop>(steps[i])) continue;
      if (results[i].status.ok()) {
        log_.system(Level::Info, "step-done", "",
                    reconcile::system_message(steps[i], reconcile::StepPhase::Done).value_or(""),
                    {{"action", reconcile::action_name(steps[i])},
                     {"what", reconcile::describe(steps[i])},
                     {"seconds", fmt::format("{}", results[i].seconds)}});
        continue;
      }
      const engine::Error& error = results[i].status.error();
      if (error.kind == engine::ErrorKind::Cancelled) {
        // Interrupted (a new target, an API action), not failed: no balena
        // failure line, nothing on stderr as an error.
        log_.info("step-cancelled", error.message,
                  {{"action", reconcile::action_name(steps[i])}, {"what", reconcile::describe(steps[i])}});
      } else {
        log_.system(Level::Error, "step-failed", error.message,
                    reconcile::system_message(steps[i], reconcile::StepPhase::Failed, error.message).value_or(""),
                    {{"action", reconcile::action_name(steps[i])},
                     {"what", reconcile::describe(steps[i])},
                     {"kind", engine::to_string(error.kind)}});
      }
      if (!first_error) {
        first_error = engine::Error{error.kind, fmt::format("{}: {}", reconcile::describe(steps[i]), error.message)};
      }
    }
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      status_.last_progress_ms = clock_.wall_ms();
    }
    if (first_error) {
      bool interrupted = false;
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        // A cancelled batch is an interruption, not a failure.
        interrupted = cancel_ && !stopping_;
      }
      if (interrupted) {
        failure = *first_error;
        return RunEnd::Interrupted;
      }
      return failed(*first_error);
    }
  }
  log_.error("apply", "the plan did not settle within the batch limit",
             {{"batches", fmt::to_string(options_.max_batches)}});
  return failed({engine::ErrorKind::Invalid,
                 fmt::format("the plan did not settle within {} batches", options_.max_batches)});
}

}  // namespace supervisor
