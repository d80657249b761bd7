#include "local_api.hpp"

#include <fmt/format.h>

#include <fstream>

#include "reconcile/intermediate.hpp"
#include "version.hpp"

namespace supervisor {
namespace {

std::string read_os_version() {
  std::ifstream os_release("/etc/os-release");
  for (std::string line; std::getline(os_release, line);) {
    if (line.starts_with("PRETTY_NAME=")) {
      std::string value = line.substr(12);
      std::erase(value, '"');
      return value;
    }
  }
  return "";
}

// The app's service a request names: by name, or "#<imageId>".
const reconcile::Service* find_service(const reconcile::State& current, std::int64_t app_id,
                                       const std::string& name) {
  for (const auto& app : current.apps) {
    if (app.app_id != app_id) continue;
    for (const auto& service : app.services) {
      if (service.service_name == name || name == fmt::format("#{}", service.image_id)) return &service;
    }
  }
  return nullptr;
}

bool has_services(const reconcile::State& current, std::int64_t app_id) {
  for (const auto& app : current.apps) {
    if (app.app_id == app_id && !app.services.empty()) return true;
  }
  return false;
}

engine::Status app_not_found() {
  return engine::Status::failure(engine::ErrorKind::NotFound,
                                 "App not found: an app needs to be installed for this endpoint to work. "
                                 "If you've recently moved this device from another app, please push an app "
                                 "and wait for it to be installed first.");
}

}  // namespace

LocalApi::LocalApi(const Config& config, const DeviceIdentity& identity, Logger& log, Parts parts)
    : config_(config),
      identity_(identity),
      log_(log),
      store_(parts.store),
      keys_(parts.keys),
      reader_(parts.reader),
      loop_(parts.loop),
      locks_(parts.locks),
      power_(parts.power),
      os_version_(read_os_version()),
      local_mode_(config.local_mode) {}

void LocalApi::load_target(std::optional<engine::store::Target> stored) {
  const std::lock_guard<std::mutex> lock(target_mutex_);
  target_ = std::move(stored);
}

api::DeviceInfo LocalApi::info() {
  api::DeviceInfo info;
  info.uuid = identity_.uuid;
  {
    const std::lock_guard<std::mutex> lock(target_mutex_);
    info.name = target_ && !target_->device_name.empty() ? target_->device_name : identity_.name;
  }
  info.device_type = config_.device_type;
  info.arch = config_.arch;
  info.supervisor_version = kSupervisorVersion;
  info.api_port = config_.listen_port;
  info.local_mode = local_mode_;
  info.os_version = os_version_;
  return info;
}

engine::Result<std::optional<api::KeyScope>> LocalApi::authorize(const std::string& key) {
  auto scope = keys_.scope_of(key);
  if (!scope) log_.error("api", "cannot look up an API key; refusing it", {{"error", scope.error().describe()}});
  return scope;
}

engine::Result<std::string> LocalApi::regenerate_key(const std::string& key) {
  auto renewed = keys_.regenerate(key);
  if (renewed) {
    log_.info("api", "an API key was regenerated; the old one no longer works");
  } else if (renewed.error().kind != engine::ErrorKind::NotFound) {
    log_.error("api", "cannot regenerate an API key", {{"error", renewed.error().describe()}});
  }
  return renewed;
}

std::optional<reconcile::State> LocalApi::target() {
  const std::lock_guard<std::mutex> lock(target_mutex_);
  if (!target_) return std::nullopt;
  return target_->state;
}

std::map<std::string, std::string> LocalApi::target_config() {
  const std::lock_guard<std::mutex> lock(target_mutex_);
  return target_ ? target_->device_config : std::map<std::string, std::string>{};
}

engine::Status LocalApi::set_target(const reconcile::LocalTargetState& local) {
  engine::store::Target target;
  {
    const std::lock_guard<std::mutex> lock(target_mutex_);
    target.device_name = local.name.value_or(target_ ? target_->device_name : identity_.name);
  }
  target.device_config = local.config;
  target.state = local.target;
  return store_and_apply(std::move(target), local.force ? engine::Force::Yes : engine::Force::No);
}

engine::Status LocalApi::store_and_apply(engine::store::Target target, engine::Force force) {
  // Stored first (one transaction), so a reboot runs it even offline.
  if (auto stored = store_.set_target(target); !stored) {
    log_.error("target", "cannot store the new target; keeping the current one",
               {{"error", stored.error().describe()}});
    return engine::Status::failure(engine::ErrorKind::Store,
                                   fmt::format("cannot store the target: {}", stored.error().describe()));
  }
  {
    const std::lock_guard<std::mutex> lock(target_mutex_);
    target_ = target;
  }
  log_.info("target", "new target", {{"apps", fmt::to_string(target.state.apps.size())}});
  loop_.set_target(std::move(target.state), force);
  return engine::Status::success();
}

std::optional<engine::store::Target> LocalApi::stored_target() {
  const std::lock_guard<std::mutex> lock(target_mutex_);
  return target_;
}

engine::Status LocalApi::apply_target(engine::store::Target target, engine::Force force) {
  {
    const std::lock_guard<std::mutex> lock(target_mutex_);
    // The cloud answers 200 again after a restart (the ETag lives in memory
    // only): the same target must cost no write and no re-run.
    if (target_ && *target_ == target) {
      if (force == engine::Force::Yes) loop_.trigger("the same target, forced", force);
      return engine::Status::success();
    }
  }
  return store_and_apply(std::move(target), force);
}

void LocalApi::set_update_handler(std::function<void(engine::Force, bool)> handler) {
  const std::lock_guard<std::mutex> lock(handler_mutex_);
  update_handler_ = std::move(handler);
}

engine::Status LocalApi::current(engine::Snapshot& out) { return reader_.read(out); }

ApplyStatus LocalApi::apply_status() { return loop_.status(); }

void LocalApi::trigger_update(engine::Force force, bool cancel) {
  {
    const std::lock_guard<std::mutex> lock(handler_mutex_);
    if (update_handler_) return update_handler_(force, cancel);
  }
  // No cloud to ask: an update request re-plans against the stored target;
  // cancel abandons the run in progress and starts it again.
  if (cancel) {
    if (auto stored = target()) loop_.set_target(*stored, force);
  } else {
    loop_.trigger("update requested through the API", force);
  }
}

engine::Status LocalApi::restart_app(std::int64_t app_id, engine::Force force) {
  engine::Snapshot snapshot;
  if (auto read = reader_.read(snapshot); !read.ok()) return read;
  if (!has_services(snapshot.current, app_id)) return app_not_found();
  // As balena: the app's services removed, then put back as they were.
  const reconcile::State running = reconcile::as_target(snapshot.current);
  log_.info("api", "restarting an app", {{"app", fmt::to_string(app_id)}});
  if (auto stopped = loop_.apply_intermediate(reconcile::without_services(running, app_id), force); !stopped.ok()) {
    return stopped;
  }
  return loop_.apply_intermediate(running, force);
}

engine::Status LocalApi::purge_app(std::int64_t app_id, engine::Force force) {
  engine::Snapshot snapshot;
  if (auto read = reader_.read(snapshot); !read.ok()) return read;
  if (!has_services(snapshot.current, app_id)) return app_not_found();
  const reconcile::State running = reconcile::as_target(snapshot.current);
  log_.system(Level::Info, "api", "purging an app's data", fmt::format("Purging data for app {}", app_id),
              {{"app", fmt::to_string(app_id)}});
  // The whole app leaves (containers, networks, volumes), then comes back
  // as it ran, its volumes created empty.
  if (auto removed = loop_.apply_intermediate(reconcile::without_app(running, app_id), force,
                                              ApplyLoop::Volumes::RemoveWithApp);
      !removed.ok()) {
    return removed;
  }
  if (auto restored = loop_.apply_intermediate(running, force); !restored.ok()) return restored;
  log_.system(Level::Info, "api", "purged an app's data", "Purged data", {{"app", fmt::to_string(app_id)}});
  return engine::Status::success();
}

engine::Status LocalApi::power(api::PowerAction action, engine::Force force) {
  engine::Snapshot snapshot;
  if (auto read = reader_.read(snapshot); !read.ok()) return read;
  const auto config = target_config();
  const auto override_lock = config.find("SUPERVISOR_OVERRIDE_LOCK");
  if (override_lock != config.end() && (override_lock->second == "1" || override_lock->second == "true")) {
    force = engine::Force::Yes;
  }
  // Every app's locks, or none: a service in the middle of something it
  // protects with a lock keeps the host up.
  std::vector<reconcile::AppId> taken;
  const auto release_taken = [&] {
    for (const reconcile::AppId app : taken) {
      if (auto released = locks_.release(app); !released.ok()) {
        log_.error("locks", "cannot release an app's update locks", {{"app", fmt::to_string(app)},
                                                                     {"error", released.error().describe()}});
      }
    }
  };
  for (const reconcile::App& app : snapshot.current.apps) {
    std::vector<std::string> services;
    for (const reconcile::Service& service : app.services) services.push_back(service.service_name);
    if (services.empty()) continue;
    if (auto locked = locks_.take(app.app_id, services, force); !locked.ok()) {
      release_taken();
      return locked;
    }
    taken.push_back(app.app_id);
  }
  const bool reboot = action == api::PowerAction::Reboot;
  log_.system(Level::Info, "api", reboot ? "rebooting the host" : "powering the host off",
              reboot ? "Rebooting" : "Shutting down");
  if (auto asked = power_.request(action); !asked.ok()) {
    release_taken();
    log_.error("api", "the host did not accept the request", {{"error", asked.error().describe()}});
    return asked;
  }
  return engine::Status::success();
}

engine::Status LocalApi::service_action(std::int64_t app_id, api::ServiceAction action, const std::string& service,
                                        engine::Force force) {
  engine::Snapshot snapshot;
  if (auto read = reader_.read(snapshot); !read.ok()) return read;
  const reconcile::Service* found = find_service(snapshot.current, app_id, service);
  if (found == nullptr) {
    return engine::Status::failure(engine::ErrorKind::NotFound,
                                   "Service not found, a container must exist for this endpoint to work");
  }
  const std::string name = found->service_name;
  const reconcile::State running = reconcile::as_target(snapshot.current);
  log_.info("api", "service action", {{"app", fmt::to_string(app_id)}, {"service", name}});
  switch (action) {
    case api::ServiceAction::Restart:
      if (auto killed = loop_.apply_intermediate(reconcile::without_services(running, app_id, name), force);
          !killed.ok()) {
        return killed;
      }
      return loop_.apply_intermediate(running, force);
    case api::ServiceAction::Stop:
    case api::ServiceAction::Start: {
      // Stays so until the next target or supervisor restart. Set first, so
      // the loop's own runs cannot undo it in between; dropped on failure.
      const bool run = action == api::ServiceAction::Start;
      loop_.override_running(app_id, name, run);
      // As balena: starting takes no update lock, so it needs no force.
      auto done = loop_.apply_intermediate(reconcile::with_running(running, app_id, name, run),
                                           run ? engine::Force::No : force);
      if (!done.ok()) loop_.override_running(app_id, name, std::nullopt);
      return done;
    }
  }
  return engine::Status::failure(engine::ErrorKind::Invalid, "unknown service action");
}

}  // namespace supervisor
