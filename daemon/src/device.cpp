#include "device.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include "systemd_notify.hpp"

namespace supervisor {
namespace {

namespace fs = std::filesystem;

// 32 lowercase hex characters, as the balena supervisor's keys and uuids.
std::string random_hex() {
  std::random_device random;
  std::string out;
  static const char* digits = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) out += digits[random() % 16];
  return out;
}

// A value kept in the store's config table, created on first start.
std::string stored_or_new(engine::store::Store& store, const std::string& key, const std::string& configured,
                          Logger& log) {
  if (!configured.empty()) return configured;
  if (auto value = store.config(key); value && value.value()) return *value.value();
  const std::string fresh = random_hex();
  if (auto saved = store.set_config(key, fresh); !saved) {
    log.error("store", "cannot save the new " + key + "; it will change at the next start",
              {{"error", saved.error().describe()}});
  }
  return fresh;
}

ApplyOptions apply_options(const Config& config) {
  ApplyOptions options;
  options.recheck = config.recheck_interval;
  options.backoff_initial = config.backoff_initial;
  options.backoff_max = config.backoff_max;
  return options;
}

engine::RuntimeSettings runtime_settings(const Config& config) {
  engine::RuntimeSettings settings;
  settings.reboot_breadcrumb = config.data_dir + "/reboot-required";
  settings.keep_images = config.local_mode;
  settings.keep_volumes = config.local_mode;
  return settings;
}

}  // namespace

std::unique_ptr<Device> Device::open(const Config& config, Logger& log, engine::CreateBodyFn create_body,
                                     std::string& error) {
  std::error_code made;
  fs::create_directories(config.data_dir, made);
  if (made) {
    error = "cannot create the data directory " + config.data_dir + ": " + made.message();
    return nullptr;
  }
  engine::store::StoreOptions store_options;
  store_options.path = config.database_path();
  auto opened = engine::store::Store::open(store_options);
  if (!opened) {
    error = "cannot open the store: " + opened.error().describe();
    return nullptr;
  }
  if (opened->recovery) {
    log.error("store-recovered", "the database was corrupt or unreadable; it was moved aside and a fresh one created",
              {{"moved_to", opened->recovery->moved_to.string()}, {"reason", opened->recovery->reason}});
  }
  auto endpoint = engine::docker::parse_docker_host(config.docker_host);
  if (!endpoint) {
    error = "dockerHost: " + endpoint.error().describe();
    return nullptr;
  }
  engine::docker::ClientOptions client_options;
  client_options.endpoint = endpoint.value();
  return std::unique_ptr<Device>(new Device(config, log, std::move(opened.value().store),
                                            engine::docker::Client(client_options), std::move(create_body)));
}

Device::Device(const Config& config, Logger& log, engine::store::Store store, engine::docker::Client docker,
               engine::CreateBodyFn create_body)
    : config_(config),
      log_(log),
      store_(std::move(store)),
      docker_(std::move(docker)),
      locks_(config.lock_dir()),
      records_(store_),
      reader_(docker_, records_, locks_, downloads_, runtime_settings(config)),
      executor_(docker_, records_, locks_, downloads_, std::move(create_body),
                engine::ExecutorSettings{runtime_settings(config).reboot_breadcrumb, std::nullopt}),
      local_images_first_(executor_, docker_),
      loop_(reader_, local_images_first_, log, apply_options(config)),
      server_(*this, api::ServerOptions{config.listen_address, config.listen_port,
                                        std::max(2 * config.poll_interval, std::chrono::milliseconds(60'000))}) {
  uuid_ = stored_or_new(store_, "uuid", config.uuid, log_);
  api_key_ = stored_or_new(store_, "apiKey", config.api_key, log_);
  if (auto stored = store_.target(); !stored) {
    log_.error("store", "cannot read the stored target; waiting for a new one", {{"error", stored.error().describe()}});
  } else if (stored.value()) {
    target_ = *stored.value();
  }
  loop_.on_heartbeat = [] { systemd::notify_watchdog(); };
}

Device::~Device() { stop(); }

bool Device::start(std::string& error) {
  if (!server_.start(error)) return false;
  loop_thread_ = std::thread([this] { loop_.run(); });
  events_thread_ = std::thread([this] { watch_events(); });
  container_logs_ = std::make_unique<ContainerLogs>(docker_, log_);
  // Containers come and go with every update: look for new ones often.
  logs_thread_ = std::thread([this] {
    while (!stopping_) {
      container_logs_->sync();
      for (int i = 0; i < 20 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  if (target_) {
    log_.info("target", "applying the stored target", {{"apps", std::to_string(target_->state.apps.size())}});
    loop_.set_target(target_->state);
  } else {
    log_.info("target", "no target yet: waiting for one (POST /v2/local/target-state)");
  }
  return true;
}

void Device::stop() {
  stopping_ = true;
  loop_.stop();
  server_.stop();
  if (loop_thread_.joinable()) loop_thread_.join();
  if (events_thread_.joinable()) events_thread_.join();
  if (logs_thread_.joinable()) logs_thread_.join();
  if (container_logs_) container_logs_->stop();
}

void Device::watch_events() {
  // A container of ours that dies or disappears is noticed at once; the
  // periodic re-check covers the time the stream is down.
  engine::docker::EventOptions options;
  options.filters = {{"type", {"container"}}, {"label", {"io.balena.supervised"}}, {"event", {"die", "destroy"}}};
  auto delay = std::chrono::seconds(1);
  while (!stopping_) {
    const auto status = docker_.stream_events(
        options,
        [this](const engine::docker::Event& event) {
          auto name = event.attributes.find("name");
          loop_.trigger("container " + (name == event.attributes.end() ? event.actor_id : name->second) + " " +
                        event.action);
        },
        &stopping_);
    if (stopping_) break;
    if (!status.ok()) log_.warn("events", "the engine's event stream failed", {{"error", status.error().describe()}});
    for (auto waited = std::chrono::seconds(0); waited < delay && !stopping_; waited += std::chrono::seconds(1)) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    delay = std::min(delay * 2, std::chrono::seconds(30));
  }
}

api::DeviceInfo Device::info() {
  api::DeviceInfo info;
  info.uuid = uuid_;
  {
    const std::lock_guard<std::mutex> lock(target_mutex_);
    info.name = target_ && !target_->device_name.empty() ? target_->device_name : config_.device_name;
  }
  info.device_type = config_.device_type;
  info.arch = config_.arch;
  info.supervisor_version = kSupervisorVersion;
  info.api_port = config_.listen_port;
  info.local_mode = config_.local_mode;
  std::ifstream os_release("/etc/os-release");
  for (std::string line; std::getline(os_release, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      info.os_version = line.substr(12);
      std::erase(info.os_version, '"');
    }
  }
  return info;
}

bool Device::key_is_valid(const std::string& key) {
  if (key == api_key_) return true;
  auto found = store_.find_api_key(key);
  return found && found.value().has_value();
}

std::optional<reconcile::State> Device::target() {
  const std::lock_guard<std::mutex> lock(target_mutex_);
  if (!target_) return std::nullopt;
  return target_->state;
}

std::map<std::string, std::string> Device::target_config() {
  const std::lock_guard<std::mutex> lock(target_mutex_);
  return target_ ? target_->device_config : std::map<std::string, std::string>{};
}

api::ActionResult Device::set_target(const reconcile::LocalTargetState& local) {
  engine::store::Target target;
  {
    const std::lock_guard<std::mutex> lock(target_mutex_);
    target.device_name = local.name.value_or(target_ ? target_->device_name : config_.device_name);
  }
  target.device_config = local.config;
  target.state = local.target;
  // Stored first (one transaction), so a reboot runs it even offline.
  if (auto stored = store_.set_target(target); !stored) {
    log_.error("target", "cannot store the new target; keeping the current one",
               {{"error", stored.error().describe()}});
    return {503, "cannot store the target: " + stored.error().describe()};
  }
  {
    const std::lock_guard<std::mutex> lock(target_mutex_);
    target_ = target;
  }
  log_.info("target", "new target", {{"apps", std::to_string(target.state.apps.size())}});
  loop_.set_target(std::move(target.state));
  return {};
}

engine::Status Device::current(engine::Snapshot& out) { return reader_.read(out); }

ApplyStatus Device::apply_status() { return loop_.status(); }

void Device::trigger_update(bool /*force*/, bool cancel) {
  // No cloud yet: an update request re-plans against the stored target.
  if (cancel) {
    if (auto stored = target()) loop_.set_target(*stored);
  } else {
    loop_.trigger("update requested through the API");
  }
}

api::ActionResult Device::restart_app(std::int64_t app_id, bool force) {
  engine::Snapshot snapshot;
  if (auto read = reader_.read(snapshot); !read.ok()) return {503, read.error};
  std::vector<reconcile::Step> steps;
  for (const auto& app : snapshot.current.apps) {
    if (app.app_id != app_id) continue;
    for (const auto& service : app.services) steps.emplace_back(reconcile::Kill{service, "restart requested"});
  }
  if (steps.empty()) return {404, "App not found: an app needs to be installed for this endpoint to work."};
  std::vector<std::string> names;
  for (const auto& step : steps) names.push_back(std::get<reconcile::Kill>(step).current.service_name);
  if (auto locked = locks_.take(app_id, names, force ? engine::Force::Yes : engine::Force::No); !locked.ok()) {
    return {423, locked.error};
  }
  const engine::CancelFlag never{false};
  std::string failure;
  for (const auto& step : steps) {
    if (auto done = executor_.run(step, never, {}); !done.ok() && failure.empty()) failure = done.error;
  }
  (void)locks_.release(app_id);
  // The apply loop starts them again from the target.
  loop_.trigger("app " + std::to_string(app_id) + " restarted");
  if (!failure.empty()) return {503, failure};
  return {};
}

api::ActionResult Device::service_action(std::int64_t app_id, api::ServiceAction action, const std::string& service,
                                         bool force) {
  engine::Snapshot snapshot;
  if (auto read = reader_.read(snapshot); !read.ok()) return {503, read.error};
  const reconcile::Service* container = nullptr;
  for (const auto& app : snapshot.current.apps) {
    for (const auto& candidate : app.services) {
      const bool by_image = service.starts_with("#") && service.substr(1) == std::to_string(candidate.image_id);
      if (app.app_id == app_id && (candidate.service_name == service || by_image)) container = &candidate;
    }
  }
  if (container == nullptr) return {404, "Service not found, a container must exist for this endpoint to work"};
  const engine::CancelFlag never{false};
  if (action == api::ServiceAction::Start) {
    reconcile::Service target = *container;
    target.running = true;
    auto started = executor_.run(reconcile::Start{target, "start requested"}, never, {});
    return started.ok() ? api::ActionResult{} : api::ActionResult{503, started.error};
  }
  if (auto locked = locks_.take(app_id, {container->service_name}, force ? engine::Force::Yes : engine::Force::No);
      !locked.ok()) {
    return {423, locked.error};
  }
  engine::Status done;
  if (action == api::ServiceAction::Stop) {
    done = executor_.run(reconcile::Stop{*container, "stop requested"}, never, {});
  } else {
    done = executor_.run(reconcile::Kill{*container, "restart requested"}, never, {});
  }
  (void)locks_.release(app_id);
  if (action == api::ServiceAction::Restart) loop_.trigger("service " + container->service_name + " restarted");
  return done.ok() ? api::ActionResult{} : api::ActionResult{503, done.error};
}

}  // namespace supervisor
