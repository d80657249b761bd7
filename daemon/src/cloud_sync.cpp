#include "cloud_sync.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include "cloud_report.hpp"
#include "engine/cloud/json.hpp"
#include "engine/cloud/provision.hpp"
#include "engine/cloud/registry_auth.hpp"
#include "engine/cloud/state_report.hpp"
#include "engine/cloud/target_poll.hpp"
#include "log_level.hpp"
#include "reconcile/json_text.hpp"
#include "version.hpp"

namespace supervisor {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// How often the report loop looks at the device when nothing wakes it:
// reports themselves are throttled to one per 10 s (§5.4).
constexpr milliseconds kReportTick{3000};

std::string text_of(const std::map<std::string, std::string>& values) {
  std::vector<std::string> pairs;
  for (const auto& [name, value] : values) pairs.push_back(fmt::format("{}={}", name, value));
  return fmt::format("{}", fmt::join(pairs, " "));
}

}  // namespace

CloudSync::CloudSync(const Config& config, engine::cloud::ConfigJson config_json, const DeviceIdentity& identity,
                     Logger& log, engine::store::Store& store, engine::StateReader& reader, ApplyLoop& loop,
                     LocalApi& api, Clock& clock)
    : config_(config),
      config_json_path_(config.config_json_path),
      config_json_(std::move(config_json)),
      identity_(identity),
      log_(log),
      store_(store),
      reader_(reader),
      loop_(loop),
      api_(api),
      clock_(clock) {
  settings_.poll_interval = config_json_.poll_interval();
}

CloudSync::~CloudSync() { stop(); }

void CloudSync::load_stored_settings() {
  // SUPERVISOR_LOG_LEVEL is not stored with the variables below; it comes
  // with the stored target (log_level.hpp).
  if (auto stored_target = store_.target(); !stored_target) {
    log_.warn("cloud", "cannot read the stored target's SUPERVISOR_LOG_LEVEL",
              {{"error", stored_target.error().describe()}});
  } else if (stored_target.value()) {
    obey_log_level_variable(log_, stored_target.value()->device_config);
  }
  auto values = store_.config_values();
  if (!values) {
    log_.error("cloud", "cannot read the stored config variables; using the defaults",
               {{"error", values.error().describe()}});
    return;
  }
  std::map<std::string, std::string> stored;
  for (const auto& [name, value] : values.value()) {
    if (name.starts_with("SUPERVISOR_")) stored.emplace(name, value);
  }
  const auto settings = engine::cloud::supervisor_settings(stored, config_json_.poll_interval());
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stored_values_ = stored;
    settings_ = settings;
  }
  api_.set_local_mode(settings.local_mode);
  if (!stored.empty()) log_.info("cloud", "stored config variables", {{"values", text_of(stored)}});
}

engine::cloud::SupervisorSettings CloudSync::settings() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return settings_;
}

void CloudSync::start() {
  poll_thread_ = std::thread([this] { run_poll(); });
  report_thread_ = std::thread([this] { run_report(); });
}

void CloudSync::stop() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  tags_.stop();
  if (poll_thread_.joinable()) poll_thread_.join();
  if (report_thread_.joinable()) report_thread_.join();
}

bool CloudSync::request_update(engine::Force force, bool cancel) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!settings_.instant_updates && force == engine::Force::No) {
      log_.info("cloud", "update request ignored: instant updates are off (SUPERVISOR_INSTANT_UPDATE_TRIGGER)");
      return false;
    }
    poll_requested_ = true;
    if (force == engine::Force::Yes) requested_force_ = force;
    requested_cancel_ = requested_cancel_ || cancel;
  }
  log_.info("cloud", "update requested: polling the target now");
  wake_.notify_all();
  return true;
}

bool CloudSync::wait(milliseconds delay, Wake wake) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = clock_.now() + delay;
  while (!stopping_ && !(wake == Wake::OnPollRequest && poll_requested_) && clock_.now() < deadline) {
    clock_.wait_until(wake_, lock, deadline);
  }
  return stopping_;
}

std::optional<engine::cloud::HttpClient> CloudSync::make_client(const std::string& purpose) {
  engine::cloud::HttpOptions options;
  options.base_url = config_json_.api_endpoint.value_or("");
  if (config_json_.balena_root_ca && !config_json_.balena_root_ca->empty()) {
    auto pem = engine::cloud::decode_root_ca(*config_json_.balena_root_ca);
    if (!pem) {
      log_.error("cloud", "balenaRootCA is unusable; trusting the system store only",
                 {{"error", pem.error().describe()}});
    } else {
      options.extra_ca_pem = pem.value();
    }
  }
  const std::string os_version = api_.info().os_version;
  options.user_agent = engine::cloud::user_agent(
      kSupervisorVersion, os_version.empty() ? std::nullopt : std::optional<std::string>(os_version),
      config_json_.development_mode.value_or(false) ? "dev" : "prod");
  auto client = engine::cloud::HttpClient::create(std::move(options));
  if (!client) {
    log_.error("cloud", fmt::format("cannot set up the {} client", purpose), {{"error", client.error().describe()}});
    return std::nullopt;
  }
  return std::move(client).value();
}

// ---- poll thread ---------------------------------------------------------------

void CloudSync::run_poll() {
  auto api = make_client("poll");
  while (!api) {
    if (wait(config_json_.bootstrap_delay(), Wake::OnStop)) return;
    api = make_client("poll");
  }
  while (!provision_device(*api)) {
    if (wait(config_json_.bootstrap_delay(), Wake::OnStop)) return;
  }
  while (!pin_device(*api)) {
    if (wait(config_json_.bootstrap_delay(), Wake::OnStop)) return;
  }
  while (!initial_config_report(*api)) {
    if (wait(config_json_.bootstrap_delay(), Wake::OnStop)) return;
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    ready_ = true;
  }
  wake_.notify_all();
  // §7: what an earlier run left unsent goes now, new values when stored.
  if (auto tags_client = make_client("tags")) {
    tags_.start(std::move(*tags_client), {uuid_, device_key_, config_json_.device_id.value_or(0)},
                [this] { return settings().poll_interval; });
  }

  const auto random = engine::cloud::default_uniform_random();
  // §4.2: the first poll at once when instant updates are on, else one
  // interval after start.
  if (!settings().instant_updates && wait(settings().poll_interval, Wake::OnPollRequest)) return;
  while (true) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    const bool ok = poll_once(*api);
    poll_failures_ = ok ? 0 : poll_failures_ + 1;
    const milliseconds delay = engine::cloud::next_poll_delay(settings().poll_interval, poll_failures_, random);
    if (!ok) log_.warn("cloud", "poll failed; backing off", {{"delay_ms", fmt::to_string(delay.count())}});
    if (wait(delay, Wake::OnPollRequest)) return;
  }
}

bool CloudSync::provision_device(engine::cloud::HttpClient& api) {
  engine::cloud::DeviceInfo device;
  device.device_type = config_json_.device_type.value_or(config_.device_type);
  device.supervisor_version = kSupervisorVersion;
  if (const std::string os = api_.info().os_version; !os.empty()) device.os_version = os;
  device.os_variant = config_json_.development_mode.value_or(false) ? "dev" : "prod";
  const auto outcome = engine::cloud::provision(api, config_json_path_, config_json_, device, clock_.wall_ms(),
                                                engine::cloud::urandom_hex(), &cancel_);
  if (outcome.state == engine::cloud::ProvisionState::RetryLater) {
    log_.warn("provision", "provisioning failed; retrying",
              {{"action", engine::cloud::to_string(outcome.action)},
               {"error", outcome.error ? outcome.error->describe() : ""},
               {"regenerated", outcome.regenerated ? "yes" : "no"},
               {"delay_ms", fmt::to_string(config_json_.bootstrap_delay().count())}});
    return false;
  }
  if (outcome.state == engine::cloud::ProvisionState::Provisioned) {
    log_.info("provision", "provisioned", {{"action", engine::cloud::to_string(outcome.action)},
                                           {"device_id", fmt::to_string(outcome.device_id.value_or(0))}});
  }
  const std::lock_guard<std::mutex> lock(mutex_);
  uuid_ = config_json_.uuid.value_or("");
  device_key_ = config_json_.device_api_key.value_or("");
  if (uuid_ != identity_.uuid) {
    // A key-exchange failure regenerated the uuid (§2.4): the cloud knows
    // the new one; containers and the local API keep the old one until the
    // next start.
    log_.warn("provision", "the uuid changed during provisioning; restart to use it everywhere",
              {{"uuid", uuid_}, {"was", identity_.uuid}});
  }
  return true;
}

bool CloudSync::pin_device(engine::cloud::HttpClient& api) {
  auto stored = store_.config("pinDevice");
  if (!stored || !stored.value()) return true;
  const auto pin = engine::cloud::parse_pin_request(*stored.value());
  if (pin) {
    auto pinned = engine::cloud::pin_to_release(api, device_key_, config_json_.device_id.value_or(0), *pin, &cancel_);
    if (!pinned) {
      log_.warn("pin", "cannot pin the device to the preloaded release; retrying",
                {{"error", pinned.error().describe()}});
      return false;
    }
    log_.info("pin", pinned.value() == engine::cloud::PinOutcome::Pinned
                         ? "pinned the device to the preloaded release"
                         : "the cloud has no such release; the pin request is dropped",
              {{"commit", pin->commit}});
  }
  if (auto removed = store_.remove_config("pinDevice"); !removed) {
    log_.error("pin", "cannot forget the pin request", {{"error", removed.error().describe()}});
  }
  return true;
}

bool CloudSync::initial_config_report(engine::cloud::HttpClient& api) {
  const std::string endpoint = config_json_.api_endpoint.value_or("");
  if (auto stored = store_.config("initialConfigReported"); stored && stored.value() == endpoint) return true;
  // §3.1 step 1: what the cloud has already.
  auto polled = engine::cloud::poll_target_state(api, {uuid_, device_key_, std::nullopt}, &cancel_);
  if (!polled) {
    log_.warn("cloud", "initial config report: cannot fetch the target", {{"error", polled.error().describe()}});
    return false;
  }
  std::map<std::string, std::string> target_config;
  if (const auto* target = std::get_if<engine::cloud::NewTarget>(&polled.value())) {
    if (auto parsed = engine::cloud::parse_target(*target, uuid_)) target_config = parsed->config;
    // The fetched target is the device's target like any polled one.
    etag_ = target->etag;
    handle_target(target->body, engine::Force::No);
  }
  const auto defaults = engine::cloud::supervisor_config_defaults(config_json_.poll_interval());
  std::map<std::string, std::string> current = defaults;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, value] : stored_values_) current[name] = value;
  }
  const auto vars = engine::cloud::initial_config_vars(target_config, current, defaults);
  const auto outcome = engine::cloud::report_initial_config(
      api, device_key_, config_json_.device_id.value_or(0), vars, config_json_.initial_device_name, &cancel_);
  if (!outcome.vars.ok()) {
    log_.warn("cloud", "initial config report failed; retrying", {{"error", outcome.vars.error().describe()}});
    return false;
  }
  if (outcome.name_error) {
    log_.warn("cloud", "cannot set the initial device name", {{"error", outcome.name_error->describe()}});
  }
  if (auto saved = store_.set_config("initialConfigReported", endpoint); !saved) {
    log_.error("cloud", "cannot record the initial config report; it runs again at the next start",
               {{"error", saved.error().describe()}});
  }
  log_.info("cloud", "initial config reported", {{"variables", fmt::to_string(vars.size())}});
  return true;
}

bool CloudSync::poll_once(engine::cloud::HttpClient& api) {
  bool requested = false;
  bool cancel = false;
  engine::Force force = engine::Force::No;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    requested = std::exchange(poll_requested_, false);
    force = std::exchange(requested_force_, engine::Force::No);
    cancel = std::exchange(requested_cancel_, false);
  }
  auto polled = engine::cloud::poll_target_state(api, {uuid_, device_key_, etag_}, &cancel_);
  if (!polled) {
    log_.warn("cloud", "cannot fetch the target state", {{"error", polled.error().describe()}});
    return false;
  }
  if (std::holds_alternative<engine::cloud::NotModified>(polled.value())) {
    // §4.3: an update request re-applies even when nothing changed.
    if (requested) {
      if (cancel) {
        if (auto target = api_.target()) loop_.set_target(std::move(*target), force);
      } else {
        loop_.trigger("update requested through the API", force);
      }
    }
    return true;
  }
  auto& target = std::get<engine::cloud::NewTarget>(polled.value());
  // A body that is not JSON at all is a broken answer (a proxy, a cut
  // connection), not a target the cloud meant: retried, ETag not kept.
  if (auto parsed = reconcile::parse_json_text(target.body); !parsed.ok()) {
    log_.warn("cloud", "the target state answer is not usable JSON",
              {{"bytes", fmt::to_string(target.body.size())}, {"error", parsed.error().message}});
    return false;
  }
  // A refused target keeps its ETag: the same bad body is not fetched (and
  // refused) again at every poll, only the cloud's next change is.
  etag_ = target.etag;
  handle_target(target.body, force);
  return true;
}

void CloudSync::handle_target(const std::string& body, engine::Force force) {
  auto parsed = engine::cloud::parse_target(engine::cloud::NewTarget{"", body}, uuid_);
  if (!parsed) {
    log_.error("target", "Could not move to new release: invalid target state; the running release stays",
               {{"error", parsed.error().message}});
    return;
  }
  engine::store::Target target;
  target.device_name = parsed->name;
  target.device_config = engine::cloud::config_without_prefixes(parsed->config);
  target.state = std::move(parsed->target);
  if (auto applied = api_.apply_target(std::move(target), force); !applied.ok()) {
    // Not stored: the ETag is dropped so that the next poll fetches it
    // again; the running release stays.
    log_.error("target", "cannot take the new target", {{"error", applied.error().message}});
    etag_.reset();
    return;
  }
  apply_settings(parsed->config);
}

void CloudSync::apply_settings(const std::map<std::string, std::string>& target_config) {
  obey_log_level_variable(log_, target_config);
  const auto values = engine::cloud::supervisor_config_values(target_config);
  const auto settings = engine::cloud::supervisor_settings(values, config_json_.poll_interval());
  std::map<std::string, std::string> before;
  engine::cloud::SupervisorSettings old_settings;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    before = stored_values_;
    old_settings = settings_;
  }
  if (values == before) return;
  // balena's system lines for it (cloud-protocol §6.2): the changed
  // variables with their new values, a removed one with its default.
  json changed = json::object();
  const auto defaults = engine::cloud::supervisor_config_defaults(config_json_.poll_interval());
  for (const auto& [name, value] : values) {
    if (const auto was = before.find(name); was == before.end() || was->second != value) changed[name] = value;
  }
  for (const auto& [name, value] : before) {
    if (!values.contains(name)) changed[name] = defaults.contains(name) ? defaults.at(name) : std::string();
  }
  log_.system(Level::Info, "config", "applying config variables",
              fmt::format("Applying configuration change {}", changed.dump()));
  // Stored so that a restart offline obeys them before the first poll.
  if (auto saved = store_.set_config(values); !saved) {
    log_.error("cloud", "cannot store the config variables", {{"error", saved.error().describe()}});
  }
  for (const auto& [name, value] : before) {
    if (!values.contains(name)) {
      if (auto removed = store_.remove_config(name); !removed) {
        log_.error("cloud", "cannot forget a config variable", {{"name", name}, {"error", removed.error().describe()}});
      }
    }
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stored_values_ = values;
    settings_ = settings;
  }
  log_.system(Level::Info, "cloud", "config variables changed",
              fmt::format("Applied configuration change {}", changed.dump()), {{"values", text_of(values)}});
  if (settings.local_mode != old_settings.local_mode) {
    api_.set_local_mode(settings.local_mode);
    log_.info("cloud", settings.local_mode ? "local mode on" : "local mode off");
  }
  if (settings.persistent_logging != config_json_.persistent_logging.value_or(false)) {
    // balena keeps this one in config.json, where the OS reads it at boot.
    config_json_.persistent_logging = settings.persistent_logging;
    // The local API writes `hostname` (PATCH /v1/device/host-config): the
    // file's value is kept, not this copy's from the start.
    if (auto on_disk = engine::cloud::read_config_json(config_json_path_)) config_json_.hostname = on_disk->hostname;
    if (auto saved = engine::cloud::save_config_json(config_json_path_, config_json_); !saved) {
      log_.error("config.json", "cannot write persistentLogging", {{"error", saved.error().describe()}});
    } else {
      log_.info("config.json", "persistentLogging written; the OS uses it from the next boot",
                {{"value", settings.persistent_logging ? "true" : "false"}});
    }
  }
}

// ---- report thread -------------------------------------------------------------

nlohmann::json CloudSync::current_report() {
  engine::Snapshot snapshot;
  if (auto read = reader_.read(snapshot); !read.ok()) {
    log_.warn("report", "cannot read the device's state", {{"error", read.error().describe()}});
    return nullptr;
  }
  const api::DeviceInfo info = api_.info();
  ReportFacts facts;
  facts.uuid = uuid_;
  facts.api_port = config_.listen_port;
  facts.api_secret = identity_.api_key;
  facts.os_version = info.os_version;
  facts.supervisor_version = kSupervisorVersion;
  facts.local_mode = info.local_mode;
  return state_report(facts, reconcile::StatusInput{std::move(snapshot.current),
                                                    std::move(snapshot.context.available_images), api_.target(),
                                                    apply_progress(loop_.status())});
}

void CloudSync::run_report() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return stopping_ || ready_; });
    if (stopping_) return;
  }
  auto api = make_client("report");
  while (!api) {
    if (wait(config_json_.bootstrap_delay(), Wake::OnStop)) return;
    api = make_client("report");
  }
  json last_accepted = read_report_cache(config_.report_cache_path());
  json failed;
  int retries = 0;
  std::optional<Clock::TimePoint> last_start;
  std::optional<Clock::TimePoint> last_success;
  const auto since = [this](const std::optional<Clock::TimePoint>& at) -> std::optional<milliseconds> {
    if (!at) return std::nullopt;
    return std::chrono::duration_cast<milliseconds>(clock_.now() - *at);
  };
  while (true) {
    const json current = current_report();
    if (current.is_null()) {
      if (wait(kReportTick, Wake::OnStop)) return;
      continue;
    }
    json diff = engine::cloud::report_diff(last_accepted, current);
    if (!failed.is_null()) diff = engine::cloud::merge_failed_report(failed, current, diff);
    diff = engine::cloud::prune_empty(diff);
    if (!engine::cloud::report_due(diff.empty(), engine::cloud::is_metrics_only(diff), since(last_success))) {
      if (wait(kReportTick, Wake::OnStop)) return;
      continue;
    }
    if (const auto throttle = engine::cloud::report_throttle_wait(since(last_start)); throttle.count() > 0) {
      if (wait(throttle, Wake::OnStop)) return;
      continue;  // built again: the state may have moved on meanwhile
    }
    last_start = clock_.now();
    const auto sent = engine::cloud::send_state_report(*api, device_key_, diff.dump(),
                                                       engine::cloud::BodyEncoding::Identity, &cancel_);
    if (sent.ok()) {
      last_accepted = engine::cloud::apply_accepted_report(last_accepted, diff);
      failed = nullptr;
      retries = 0;
      last_success = clock_.now();
      write_report_cache(config_.report_cache_path(), last_accepted, log_);
      continue;
    }
    failed = diff;
    const auto delay = engine::cloud::report_retry_delay(retries++, settings().poll_interval, sent.error().retry_after);
    log_.warn("report", "state report failed; backing off",
              {{"error", sent.error().describe()}, {"delay_ms", fmt::to_string(delay.count())}});
    if (wait(delay, Wake::OnStop)) return;
  }
}

}  // namespace supervisor
