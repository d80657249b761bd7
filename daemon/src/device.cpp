#include "device.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <range/v3/algorithm/find_if.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/transform.hpp>

#include "cloud_logs.hpp"
#include "create_body.hpp"
#include "engine/runtime/supervisor_network.hpp"
#include "engine/cloud/registry_auth.hpp"
#include "engine/cloud/supervisor_config.hpp"
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
  settings.manage_supervisor_network = true;
  return settings;
}

// §9.1: a managed device pulls with its own credentials, username
// d_<uuid> and the current key. The executor takes one set for every pull
// (no per-image server address), so registries that need none receive them
// too and ignore them.
engine::ExecutorSettings executor_settings(const Config& config,
                                           const std::optional<engine::cloud::ConfigJson>& config_json) {
  engine::ExecutorSettings settings{runtime_settings(config).reboot_breadcrumb, std::nullopt};
  if (config_json && config_json->managed() && config_json->uuid) {
    if (auto key = engine::cloud::current_key(*config_json)) {
      engine::docker::RegistryAuth auth;
      auth.username = fmt::format("d_{}", *config_json->uuid);
      auth.password = *key;
      settings.registry_auth = auth;
    }
  }
  return settings;
}

// balena's config.json, when there is one. A file that does not read is
// logged and the device runs unmanaged on its stored target: better than
// not running at all.
std::optional<engine::cloud::ConfigJson> read_balena_config(const Config& config, Logger& log) {
  std::error_code error;
  if (config.config_json_path.empty() || !fs::exists(config.config_json_path, error)) return std::nullopt;
  auto read = engine::cloud::read_config_json(config.config_json_path);
  if (!read) {
    log.error("config.json", "cannot read config.json; running unmanaged on the stored target",
              {{"path", config.config_json_path}, {"error", read.error().describe()}});
    return std::nullopt;
  }
  return std::move(read).value();
}

// What the store did with the state copy that keeps the target and config
// values beside the database (docs/store.md).
void log_state_copy(const engine::store::CopyOutcome& copy, Logger& log) {
  using engine::store::CopyAction;
  if (copy.error) {
    log.error("store-copy", "the state copy is not in step; the next change of the target or config writes it",
              {{"reason", copy.detail}, {"error", copy.error->describe()}});
  } else if (copy.action == CopyAction::Lost) {
    log.error("store-lost", "neither the state copy nor the damaged database gave the target back; "
                            "starting as on first boot", {{"reason", copy.detail}});
  } else if (copy.action == CopyAction::Restored || copy.action == CopyAction::Salvaged) {
    log.warn("store-restored", "the target and config values were put back into the fresh database",
             {{"from", copy.action == CopyAction::Restored ? "state copy" : "damaged database"},
              {"reason", copy.detail}});
  } else if (copy.action == CopyAction::Rewritten) {
    log.warn("store-copy", "the state copy was written again from the database", {{"reason", copy.detail}});
  }
}

api::ServerOptions api_options(const Config& config) {
  api::ServerOptions options;
  options.address = config.listen_address;
  options.port = config.listen_port;
  options.stuck_after = std::max(2 * config.poll_interval, std::chrono::milliseconds(60'000));
  return options;
}

// The ids of every container the supervisor manages, running or not; nullopt
// when the engine does not answer.
std::optional<std::set<std::string>> supervised_container_ids(const engine::docker::Client& docker) {
  auto listed = docker.list_containers({{"label", {"io.balena.supervised"}}}, engine::docker::ListScope::all);
  if (!listed) return std::nullopt;
  return listed.value() | ranges::views::transform([](const auto& container) { return container.id; }) |
         ranges::to<std::set<std::string>>();
}

// The API's second listener, on supervisor0 only (api/gateway_listener.hpp).
api::ServerOptions gateway_options(const Config& config) {
  api::ServerOptions options = api_options(config);
  options.address = engine::supervisor_network::kGateway;
  options.interface = engine::supervisor_network::kName;
  return options;
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
  log_state_copy(opened->copy, log);
  auto endpoint = engine::docker::parse_docker_host(config.docker_host);
  if (!endpoint) {
    error = fmt::format("dockerHost: {}", endpoint.error().describe());
    return nullptr;
  }
  engine::docker::ClientOptions client_options;
  client_options.endpoint = endpoint.value();
  auto config_json = read_balena_config(config, log);
  Config effective = config;
  if (config_json && config_json->managed()) {
    // Managed: the cloud drives the device. Local mode is off unless the
    // target's SUPERVISOR_LOCAL_MODE turns it on (CloudSync).
    effective.api_endpoint = *config_json->api_endpoint;
    effective.local_mode = false;
    effective.poll_interval = config_json->poll_interval();
    if (config_json->device_type) effective.device_type = *config_json->device_type;
    log.info("start", "managed by the cloud", {{"api_endpoint", effective.api_endpoint},
                                               {"config_json", config.config_json_path}});
  }
  return std::unique_ptr<Device>(new Device(effective, log, std::move(opened.value().store),
                                            engine::docker::Client(client_options), std::move(config_json)));
}

Device::Device(const Config& config, Logger& log, engine::store::Store store, engine::docker::Client docker,
               std::optional<engine::cloud::ConfigJson> config_json)
    : config_(config),
      log_(log),
      store_(std::move(store)),
      config_json_(std::move(config_json)),
      // The identity first: every container created below carries it.
      identity_(config_json_ ? load_identity(store_, config_, log_, *config_json_, config_.config_json_path)
                             : load_identity(store_, config_, log_)),
      keys_(store_, identity_.api_key, engine::cloud::urandom_hex()),
      docker_(std::move(docker)),
      locks_(config_.lock_dir()),
      records_(store_),
      adoption_(docker_, make_create_body(config_, identity_, keys_, [this](auto id) { return app_name(id); }),
                [this] { return api_.target(); }),
      reader_(docker_, records_, locks_, downloads_, runtime_settings(config_)),
      executor_(docker_, records_, locks_, downloads_,
                make_create_body(config_, identity_, keys_, [this](auto id) { return app_name(id); }),
                executor_settings(config_, config_json_)),
      loop_(reader_, executor_, log_, apply_options(config_)),
      api_(config_, identity_, log_, {store_, keys_, reader_, loop_, locks_, power_}),
      server_(api_, api_options(config_)),
      gateway_(api_, gateway_options(config_), log_),
      watch_(docker_, loop_, log_) {
  if (auto stored = store_.target(); !stored) {
    log_.error("store", "cannot read the stored target; waiting for a new one", {{"error", stored.error().describe()}});
  } else {
    api_.load_target(stored.value());
  }
  reader_.set_adoption(&adoption_);
  // A watchdog ping systemd cannot receive is logged once when the pings
  // start failing, not at every heartbeat.
  loop_.on_heartbeat = [this, failing = false]() mutable {
    const auto pinged = systemd::notify_watchdog();
    if (!pinged.ok() && !failing) log_.warn("systemd", "cannot ping systemd's watchdog", {{"error", pinged.error().describe()}});
    failing = !pinged.ok();
  };
  api_.set_engine_volumes(std::make_unique<DockerVolumes>(docker_));  // /v2/cleanup-volumes
}

Device::~Device() { stop(); }

std::string Device::app_name(reconcile::AppId app_id) {
  const auto target = api_.target();
  if (!target) return "";
  const auto app = ranges::find_if(target->apps, [&](const reconcile::App& each) { return each.app_id == app_id; });
  return app == target->apps.end() ? std::string() : app->name;
}

void Device::preload() {
  if (api_.stored_target() || config_.apps_json_path.empty()) return;
  std::ifstream in(config_.apps_json_path);
  if (!in) return;  // no preload: wait for the cloud or the local API
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto preload = engine::cloud::parse_preload(text, identity_.uuid);
  if (!preload) {
    log_.error("preload", "apps.json is not a usable target; ignoring it",
               {{"path", config_.apps_json_path}, {"error", preload.error().message}});
    return;
  }
  engine::store::Target target;
  target.device_name = preload->target.name;
  target.device_config = engine::cloud::config_without_prefixes(preload->target.config);
  target.state = std::move(preload->target.target);
  if (auto stored = store_.set_target(target); !stored) {
    log_.error("preload", "cannot store the preloaded target", {{"error", stored.error().describe()}});
    return;
  }
  api_.load_target(target);
  if (const auto values = engine::cloud::supervisor_config_values(preload->target.config); !values.empty()) {
    if (auto saved = store_.set_config(values); !saved) {
      log_.error("preload", "cannot store the config variables", {{"error", saved.error().describe()}});
    }
  }
  log_.info("preload", "the preloaded target is the device's target", {{"path", config_.apps_json_path}});
  if (preload->pin) {
    // §3.3: pinned once the device is provisioned (CloudSync).
    if (auto saved = store_.set_config("pinDevice", engine::cloud::pin_request_text(*preload->pin)); !saved) {
      log_.error("preload", "cannot record the pin request", {{"error", saved.error().describe()}});
    }
  }
}

bool Device::start(std::string& error) {
  preload();
  const bool managed = config_json_ && config_json_->managed();
  if (managed) {
    cloud_ = std::make_unique<CloudSync>(config_, *config_json_, identity_, log_, store_, reader_, loop_, api_);
    // Stored SUPERVISOR_* values (local mode, poll interval) hold before the
    // API serves and before the cloud answers.
    cloud_->load_stored_settings();
    // Before the log followers start: they resume where the cloud took each container's output.
    cloud_logs_ = std::make_unique<CloudLogs>(log_, store_, cloud_logs_options(*config_json_, log_), [this] {
      const bool persistent = cloud_->settings().persistent_logging || config_json_->persistent_logging.value_or(false);
      return CloudLogsSettings{!api_.info().local_mode && log_control_on(api_.target_config()), persistent};
    });
    watch_.container_logs().set_resume_point(
        [this](const std::string& container_id) { return cloud_logs_->resume_point(container_id); });
    watch_.container_logs().set_before_line([this] { cloud_logs_->wait_for_room(); });
    cloud_logs_->start();
    if (auto containers = supervised_container_ids(docker_)) cloud_logs_->forget_removed_containers(*containers);
    api_.set_update_handler([this](engine::Force force, bool cancel) { return cloud_->request_update(force, cancel); });
    api_.set_tag_sender(&cloud_->tags());
  }
  if (!server_.start(error)) return false;
  // A listener on every address covers supervisor0 already.
  if (config_.listen_address != "0.0.0.0") gateway_.start();
  loop_thread_ = std::thread([this] { loop_.run(); });
  watch_.start();
  if (auto target = api_.target()) {
    log_.info("target", "applying the stored target", {{"apps", fmt::to_string(target->apps.size())}});
    loop_.set_target(std::move(*target));
  } else {
    log_.info("target", managed ? "no target yet: waiting for the cloud's"
                                : "no target yet: waiting for one (POST /v2/local/target-state)");
  }
  // After the stored target is given to the loop: the cloud is never
  // needed to run what the device already has.
  if (cloud_) cloud_->start();
  return true;
}

void Device::stop() {
  if (cloud_) cloud_->stop();
  loop_.stop();
  api_.stop_streams();  // the server waits for its open streams
  server_.stop();
  gateway_.stop();
  if (loop_thread_.joinable()) loop_thread_.join();
  watch_.stop();
  if (cloud_logs_) cloud_logs_->stop();
}

}  // namespace supervisor
