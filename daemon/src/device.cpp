#include "device.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "create_body.hpp"
#include "systemd_notify.hpp"

namespace supervisor {
namespace {

namespace fs = std::filesystem;

ApplyOptions apply_options(const Config& config) {
  ApplyOptions options;
  options.recheck = config.recheck_interval;
  options.backoff_initial = config.backoff_initial;
  options.backoff_max = config.backoff_max;
  return options;
}

engine::RuntimeSettings runtime_settings(const Config& config) {
  engine::RuntimeSettings settings;
  settings.reboot_breadcrumb = (fs::path(config.data_dir) / "reboot-required").string();
  settings.keep_images = config.local_mode;
  settings.keep_volumes = config.local_mode;
  return settings;
}

}  // namespace

std::unique_ptr<Device> Device::open(const Config& config, Logger& log, std::string& error) {
  std::error_code made;
  fs::create_directories(config.data_dir, made);
  if (made) {
    error = fmt::format("cannot create the data directory {}: {}", config.data_dir, made.message());
    return nullptr;
  }
  engine::store::StoreOptions store_options;
  store_options.path = config.database_path();
  auto opened = engine::store::Store::open(store_options);
  if (!opened) {
    error = fmt::format("cannot open the store: {}", opened.error().describe());
    return nullptr;
  }
  if (opened->recovery) {
    log.error("store-recovered", "the database was corrupt or unreadable; it was moved aside and a fresh one created",
              {{"moved_to", opened->recovery->moved_to.string()}, {"reason", opened->recovery->reason}});
  }
  auto endpoint = engine::docker::parse_docker_host(config.docker_host);
  if (!endpoint) {
    error = fmt::format("dockerHost: {}", endpoint.error().describe());
    return nullptr;
  }
  engine::docker::ClientOptions client_options;
  client_options.endpoint = endpoint.value();
  return std::unique_ptr<Device>(
      new Device(config, log, std::move(opened.value().store), engine::docker::Client(client_options)));
}

Device::Device(const Config& config, Logger& log, engine::store::Store store, engine::docker::Client docker)
    : config_(config),
      log_(log),
      store_(std::move(store)),
      // The identity first: every container created below carries it.
      identity_(load_identity(store_, config_, log_)),
      docker_(std::move(docker)),
      locks_(config_.lock_dir()),
      records_(store_),
      reader_(docker_, records_, locks_, downloads_, runtime_settings(config_)),
      executor_(docker_, records_, locks_, downloads_, make_create_body(config_, identity_),
                engine::ExecutorSettings{runtime_settings(config_).reboot_breadcrumb, std::nullopt}),
      loop_(reader_, executor_, log_, apply_options(config_)),
      api_(config_, identity_, log_, store_, reader_, loop_),
      server_(api_, api::ServerOptions{config_.listen_address, config_.listen_port,
                                       std::max(2 * config_.poll_interval, std::chrono::milliseconds(60'000))}),
      watch_(docker_, loop_, log_) {
  if (auto stored = store_.target(); !stored) {
    log_.error("store", "cannot read the stored target; waiting for a new one", {{"error", stored.error().describe()}});
  } else {
    api_.load_target(stored.value());
  }
  loop_.on_heartbeat = [] { systemd::notify_watchdog(); };
}

Device::~Device() { stop(); }

bool Device::start(std::string& error) {
  if (!server_.start(error)) return false;
  loop_thread_ = std::thread([this] { loop_.run(); });
  watch_.start();
  if (auto target = api_.target()) {
    log_.info("target", "applying the stored target", {{"apps", fmt::to_string(target->apps.size())}});
    loop_.set_target(std::move(*target));
  } else {
    log_.info("target", "no target yet: waiting for one (POST /v2/local/target-state)");
  }
  return true;
}

void Device::stop() {
  loop_.stop();
  server_.stop();
  if (loop_thread_.joinable()) loop_thread_.join();
  watch_.stop();
}

}  // namespace supervisor
