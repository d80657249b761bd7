#include "local_api.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <set>

#include "engine/runtime/names.hpp"
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
      local_mode_(config.local_mode),
      led_(std::make_unique<SysfsLed>(config.led_file)),
      host_files_({config.config_json_path, config.proxy_dir}, identity.uuid),
      units_(std::make_unique<SystemdUnits>()),
      journal_(config.journalctl_path),
      tag_store_(parts.store) {}

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

void LocalApi::set_update_handler(std::function<bool(engine::Force, bool)> handler) {
  const std::lock_guard<std::mutex> lock(handler_mutex_);
  update_handler_ = std::move(handler);
}

engine::Status LocalApi::current(engine::Snapshot& out) { return reader_.read(out); }

ApplyStatus LocalApi::apply_status() { return loop_.status(); }

bool LocalApi::trigger_update(engine::Force force, bool cancel) {
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
  return true;
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

engine::Status LocalApi::lock_every_app(engine::Force force, std::vector<reconcile::AppId>& taken) {
  // The apps that run, as the engine says; when it cannot say (down, or
  // not answering) the stored target's apps: their services' lockfiles are
  // on the host's disk all the same, and a reboot or a proxy change is what
  // a device with a stuck engine may need most.
  engine::Snapshot snapshot;
  if (auto read = reader_.read(snapshot); !read.ok()) {
    auto wanted = target();
    if (!wanted) return read;
    log_.warn("locks", "the engine cannot be read; taking the update locks of the target's apps",
              {{"error", read.error().describe()}});
    snapshot.current = std::move(*wanted);
  }
  const auto config = target_config();
  const auto override_lock = config.find("SUPERVISOR_OVERRIDE_LOCK");
  if (override_lock != config.end() && (override_lock->second == "1" || override_lock->second == "true")) {
    force = engine::Force::Yes;
  }
  // Every app's locks, or none: a service in the middle of something it
  // protects with a lock keeps the host as it is.
  for (const reconcile::App& app : snapshot.current.apps) {
    std::vector<std::string> services;
    for (const reconcile::Service& service : app.services) services.push_back(service.service_name);
    if (services.empty()) continue;
    if (auto locked = locks_.take(app.app_id, services, force); !locked.ok()) {
      release_apps(taken);
      taken.clear();
      return locked;
    }
    taken.push_back(app.app_id);
  }
  return engine::Status::success();
}

void LocalApi::release_apps(const std::vector<reconcile::AppId>& taken) {
  for (const reconcile::AppId app : taken) {
    if (auto released = locks_.release(app); !released.ok()) {
      log_.error("locks", "cannot release an app's update locks", {{"app", fmt::to_string(app)},
                                                                   {"error", released.error().describe()}});
    }
  }
}

engine::Status LocalApi::power(api::PowerAction action, engine::Force force) {
  std::vector<reconcile::AppId> taken;
  if (auto locked = lock_every_app(force, taken); !locked.ok()) return locked;
  const bool reboot = action == api::PowerAction::Reboot;
  log_.system(Level::Info, "api", reboot ? "rebooting the host" : "powering the host off",
              reboot ? "Rebooting" : "Shutting down");
  if (auto asked = power_.request(action); !asked.ok()) {
    release_apps(taken);
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

void LocalApi::set_engine_volumes(std::unique_ptr<EngineVolumes> volumes) {
  const std::lock_guard<std::mutex> lock(handler_mutex_);
  volumes_ = std::move(volumes);
}

void LocalApi::set_tag_sender(TagSender* sender) {
  const std::lock_guard<std::mutex> lock(handler_mutex_);
  tag_sender_ = sender;
}

void LocalApi::set_host_units(std::unique_ptr<HostUnits> units) {
  const std::lock_guard<std::mutex> lock(host_config_mutex_);
  units_ = std::move(units);
}

void LocalApi::set_identify_led(std::unique_ptr<IdentifyLed> led) {
  const std::lock_guard<std::mutex> lock(handler_mutex_);
  led_ = std::move(led);
}

bool LocalApi::blink() {
  const std::lock_guard<std::mutex> lock(handler_mutex_);
  if (led_->start_blinking()) {
    log_.info("api", "blinking the identify LED for 15 s");
    return true;
  }
  log_.warn("api", "no LED on this device: nothing blinks", {{"led_file", config_.led_file}});
  return false;
}

engine::Result<HostConfig> LocalApi::host_config() { return host_files_.read(); }

engine::Status LocalApi::set_host_config(const HostConfigPatch& patch, engine::Force force) {
  const std::lock_guard<std::mutex> one_at_a_time(host_config_mutex_);
  // As balena: the apps' locks are taken first (the proxy change may restart
  // the engine's networking), and given back once the files are written.
  std::vector<reconcile::AppId> taken;
  if (auto locked = lock_every_app(force, taken); !locked.ok()) return locked;
  engine::Status written = host_files_.write(patch);
  // The proxy units read the files at their start (under the locks still:
  // the host's networking moves).
  std::optional<engine::Result<std::vector<std::string>>> restarted;
  if (written.ok() && patch.proxy) restarted.emplace(units_->restart_proxy());
  release_apps(taken);
  if (!written.ok()) {
    log_.error("api", "cannot change the host config", {{"error", written.error().describe()}});
    return written;
  }
  if (restarted && !restarted->ok()) {
    log_.error("api", "the proxy was written but its units did not restart", {{"error", restarted->error().describe()}});
    return restarted->error();
  }
  if (restarted && restarted->value().empty()) {
    log_.info("api", "no proxy units to restart on this host (not balenaOS, or it restarts them itself)");
  } else if (restarted) {
    log_.info("api", "proxy units restarted", {{"units", fmt::format("{}", fmt::join(restarted->value(), ","))}});
  }
  if (patch.hostname) {
    log_.info("api", "hostname written to config.json; balenaOS applies it",
              {{"file", host_files_.paths().config_json.string()}});
  }
  if (patch.proxy) {
    log_.info("api", "proxy configuration written; the host's redsocks reads it",
              {{"dir", host_files_.paths().proxy_dir.string()}});
  }
  return engine::Status::success();
}

engine::Result<std::vector<api::DeviceTag>> LocalApi::device_tags() {
  TagSender* sender = nullptr;
  {
    const std::lock_guard<std::mutex> lock(handler_mutex_);
    sender = tag_sender_;
  }
  if (sender == nullptr) {
    return engine::Error{engine::ErrorKind::Unavailable, "the device is not managed: there is no cloud to ask"};
  }
  return sender->read();
}

engine::Status LocalApi::set_device_tags(const std::map<std::string, std::string>& tags) {
  if (auto stored = tag_store_.add_target(tags); !stored.ok()) {
    log_.error("api", "cannot store the device tags", {{"error", stored.error().describe()}});
    return stored;
  }
  const std::lock_guard<std::mutex> lock(handler_mutex_);
  if (tag_sender_ != nullptr) tag_sender_->wake();
  return engine::Status::success();
}

engine::Result<std::vector<std::string>> LocalApi::cleanup_volumes(const api::KeyScope& scope) {
  const std::lock_guard<std::mutex> lock(handler_mutex_);
  if (!volumes_) return engine::Error{engine::ErrorKind::Unavailable, "no engine to clean up"};
  VolumeInventory inventory;
  if (auto listed = volumes_->inventory(inventory); !listed.ok()) return listed.error();
  std::set<std::string> declared;
  if (auto wanted = target()) {
    for (const reconcile::App& app : wanted->apps) {
      if (!scope.allows(app.app_id)) continue;
      for (const reconcile::Volume& volume : app.volumes) declared.insert(engine::names::volume_name(volume));
    }
  }
  std::vector<std::string> removed;
  for (const std::string& name : volumes_to_remove(inventory, declared, scope)) {
    auto done = volumes_->remove(name);
    if (!done.ok() && done.error().kind != engine::ErrorKind::NotFound && done.error().kind != engine::ErrorKind::Conflict) {
      log_.error("api", "cannot remove an unused volume", {{"volume", name}, {"error", done.error().describe()}});
      return done.error();
    }
    if (done.ok()) {
      removed.push_back(name);
      log_.info("api", "removed an unused volume", {{"volume", name}});
    }
  }
  return removed;
}

engine::Result<std::unique_ptr<ChildOutput>> LocalApi::journal(const std::vector<std::string>& arguments) {
  return journal_.open(arguments);
}

}  // namespace supervisor
