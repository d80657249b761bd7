#include "cloud_logs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "engine/cloud/http.hpp"
#include "engine/cloud/provision.hpp"

namespace supervisor {
namespace {

namespace cloud = engine::cloud;
namespace store = engine::store;

// The cloud logs' own events are not sent: a failing stream would
// otherwise feed itself lines about its failures.
constexpr std::string_view kEvent = "cloud-logs";

engine::Error store_error(const store::Error& error) {
  return engine::Error{engine::ErrorKind::Store, error.describe()};
}

}  // namespace

std::optional<cloud::LogLine> cloud_log_line(const LogEvent& event) {
  if (event.level == Level::Debug || event.event == kEvent) return std::nullopt;
  cloud::LogLine line;
  line.timestamp_ms = event.timestamp_ms;
  if (event.from_container) {
    // §6.2: container lines without a service id are dropped; the
    // service's BALENA_LOGS_LEVEL filters the rest.
    if (event.service_id == 0 || event.logs_level == ServiceLogsLevel::None) return std::nullopt;
    if (event.logs_level == ServiceLogsLevel::ErrorsOnly && !event.is_stderr) return std::nullopt;
    line.message = event.message;
    line.is_stderr = event.is_stderr;
    line.service_id = event.service_id;
    if (event.engine_time_ns > 0) line.origin = cloud::LogOrigin{event.container_id, event.engine_time_ns};
    return line;
  }
  line.is_system = true;
  if (!event.system_text.empty()) {
    line.message = event.system_text;
    line.is_stderr = event.level == Level::Error;
    return line;
  }
  if (event.level >= Level::Warn) {
    // A failure without a balena line of its own, as the local API shows it.
    line.message = event.message.empty() ? Logger::format(event) : event.message;
    line.is_stderr = true;
    return line;
  }
  return std::nullopt;  // the daemon's internal events are its own log's
}

bool log_control_on(const std::map<std::string, std::string>& target_config) {
  const auto value = cloud::config_var(target_config, "SUPERVISOR_LOG_CONTROL");
  if (!value) return true;
  std::string lower(*value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return !(lower == "false" || lower == "0" || lower == "off");
}

// ---- the spill ------------------------------------------------------------

// System error lines are kept as stream 'stderr' without a service id:
// container lines always have one.
engine::Result<std::int64_t> StoreLogSpill::append(const std::vector<cloud::LogLine>& lines) {
  std::vector<store::SpilledLog> rows;
  rows.reserve(lines.size());
  for (const cloud::LogLine& line : lines) {
    store::SpilledLog row;
    row.entry.timestamp_ms = line.timestamp_ms;
    row.entry.stream = line.is_stderr ? store::LogStream::Stderr
                                      : (line.is_system ? store::LogStream::System : store::LogStream::Stdout);
    row.entry.message = line.message;
    row.service_id = line.is_system ? 0 : line.service_id.value_or(0);
    if (line.origin) {
      row.container_id = line.origin->container_id;
      row.engine_time_ns = line.origin->engine_time_ns;
    }
    rows.push_back(std::move(row));
  }
  auto spilled = store_.spill_logs(rows);
  if (!spilled) return store_error(spilled.error());
  return spilled.value();
}

engine::Result<std::vector<std::pair<std::int64_t, cloud::LogLine>>> StoreLogSpill::oldest(std::size_t limit) {
  auto rows = store_.spilled_logs(limit);
  if (!rows) return store_error(rows.error());
  std::vector<std::pair<std::int64_t, cloud::LogLine>> lines;
  lines.reserve(rows->size());
  for (const store::SpilledLogRecord& row : rows.value()) {
    cloud::LogLine line;
    line.timestamp_ms = row.line.entry.timestamp_ms;
    line.message = row.line.entry.message;
    line.is_system = row.line.service_id == 0;
    line.is_stderr = row.line.entry.stream == store::LogStream::Stderr;
    if (!line.is_system) line.service_id = row.line.service_id;
    if (!row.line.container_id.empty()) {
      line.origin = cloud::LogOrigin{row.line.container_id, row.line.engine_time_ns};
    }
    lines.emplace_back(row.seq, std::move(line));
  }
  return lines;
}

engine::Status StoreLogSpill::remove_through(std::int64_t seq) {
  auto removed = store_.remove_logs_through(seq);
  if (!removed) return store_error(removed.error());
  return engine::Status::success();
}

// ---- the forwarder --------------------------------------------------------

CloudLogsOptions cloud_logs_options(const cloud::ConfigJson& config_json, Logger& log) {
  CloudLogsOptions options;
  const auto& logs = config_json.logs_endpoint;
  options.stream.base_url = logs && !logs->empty() ? *logs : config_json.api_endpoint.value_or("");
  if (config_json.balena_root_ca && !config_json.balena_root_ca->empty()) {
    auto pem = cloud::decode_root_ca(*config_json.balena_root_ca);
    if (!pem) {
      log.error(kEvent, "balenaRootCA is unusable; trusting the system store only", {{"error", pem.error().describe()}});
    } else {
      options.stream.extra_ca_pem = pem.value();
    }
  }
  options.stream.uuid = config_json.uuid.value_or("");
  options.stream.device_api_key = config_json.device_api_key.value_or("");
  return options;
}

CloudLogs::CloudLogs(Logger& log, store::Store& store, CloudLogsOptions options, SettingsFn settings)
    : log_(log),
      store_(store),
      options_(std::move(options)),
      settings_fn_(std::move(settings)),
      queue_(options_.queue),
      spill_(store) {}

CloudLogs::~CloudLogs() { stop(); }

void CloudLogs::start() {
  // Resume points: what the cloud took, and what waits in the spill (sent
  // from there, so not read from the engine again).
  if (auto cursors = store_.log_cursors(); !cursors) {
    log_.error(kEvent, "cannot read where each container's logs were sent; they are read from now on",
               {{"error", cursors.error().describe()}});
  } else {
    const std::lock_guard<std::mutex> lock(mutex_);
    cursors_ = cursors.value();
    resume_ = cursors_;
  }
  if (auto spilled = store_.spilled_logs(SIZE_MAX); spilled) {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& row : spilled.value()) {
      if (row.line.container_id.empty()) continue;
      auto& point = resume_[row.line.container_id];
      point = std::max(point, row.line.engine_time_ns);
    }
    // Lines of an earlier run wait on disk: they go first, whatever
    // persistentLogging says now.
    if (!spilled->empty()) queue_.set_spill(&spill_);
  }
  refresh_settings();
  subscription_ = log_.subscribe([this](const LogEvent& event) { on_event(event); });
  auto stream = cloud::LogStream::create(
      options_.stream, queue_, [this](const std::vector<cloud::QueuedLine>& sent) { on_sent(sent); },
      [this](const cloud::LogStreamEvent& event) { on_stream_event(event); });
  if (!stream) {
    log_.error(kEvent, "cannot set up the cloud log stream; logs stay on the device",
               {{"error", stream.error().describe()}});
  } else {
    stream_ = std::move(stream).value();
    stream_->start();
  }
  refresh_thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, options_.settings_refresh);
      if (stopping_) break;
      lock.unlock();
      refresh_settings();
      lock.lock();
    }
  });
}

void CloudLogs::stop() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (refresh_thread_.joinable()) refresh_thread_.join();
  if (subscription_) {
    log_.unsubscribe(*subscription_);
    subscription_.reset();
  }
  if (stream_) stream_->stop();
}

void CloudLogs::refresh_settings() {
  const CloudLogsSettings settings = settings_fn_ ? settings_fn_() : CloudLogsSettings{};
  if (settings.send != send_.exchange(settings.send)) {
    log_.info(kEvent, settings.send ? "log lines go to the cloud" : "log lines do not go to the cloud");
  }
  if (settings.persistent_logging != spilling_) {
    spilling_ = settings.persistent_logging;
    // Cleared, the lines already on disk are still sent first.
    queue_.set_spill(spilling_ ? &spill_ : nullptr);
  }
}

void CloudLogs::on_event(const LogEvent& event) {
  // Runs under the logger's lock: no I/O, no logging, no other lock but
  // the queue's.
  if (!send_.load(std::memory_order_relaxed)) return;
  if (auto line = cloud_log_line(event)) queue_.push(std::move(*line));
}

void CloudLogs::wait_for_room() {
  if (!send_.load(std::memory_order_relaxed)) return;
  queue_.wait_for_room(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

void CloudLogs::on_sent(const std::vector<cloud::QueuedLine>& sent) {
  std::map<std::string, std::int64_t> moved;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const cloud::QueuedLine& queued : sent) {
      if (!queued.line.origin) continue;
      auto& cursor = cursors_[queued.line.origin->container_id];
      if (queued.line.origin->engine_time_ns > cursor) {
        cursor = queued.line.origin->engine_time_ns;
        moved[queued.line.origin->container_id] = cursor;
      }
    }
  }
  // Written at once: the narrower the gap between sending and recording,
  // the fewer lines a kill sends twice. Only when lines were sent, so an
  // idle device writes nothing.
  if (moved.empty()) return;
  if (auto saved = store_.set_log_cursors(moved); !saved) {
    log_.error(kEvent, "cannot record how far the containers' logs were sent; a restart may send some again",
               {{"error", saved.error().describe()}});
  }
}

void CloudLogs::on_stream_event(const cloud::LogStreamEvent& event) {
  const std::string error = event.error ? event.error->describe() : std::string();
  switch (event.kind) {
    case cloud::LogStreamEventKind::Opened:
      log_.info(kEvent, "log stream open");
      break;
    case cloud::LogStreamEventKind::SetupFailed:
      log_.warn(kEvent, "log stream refused or unreachable; lines are kept meanwhile",
                {{"error", error}, {"retry_in_ms", fmt::to_string(event.delay.count())}});
      break;
    case cloud::LogStreamEventKind::Broken:
      log_.warn(kEvent, "log stream interrupted; reopened for the next line", {{"error", error}});
      break;
    case cloud::LogStreamEventKind::Closed:
      log_.info(kEvent, "log stream closed after a quiet minute");
      break;
  }
}

std::optional<std::int64_t> CloudLogs::resume_point(const std::string& container_id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = resume_.find(container_id);
  if (it == resume_.end()) return std::nullopt;
  return it->second;
}

void CloudLogs::forget_removed_containers(const std::set<std::string>& existing) {
  std::vector<std::string> gone;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [container, time_ns] : cursors_) {
      if (!existing.contains(container)) gone.push_back(container);
    }
    for (const auto& container : gone) {
      cursors_.erase(container);
      resume_.erase(container);
    }
  }
  if (gone.empty()) return;
  if (auto removed = store_.remove_log_cursors(gone); !removed) {
    log_.error(kEvent, "cannot drop where removed containers' logs were sent; the rows stay until the next start",
               {{"error", removed.error().describe()}});
  }
}

}  // namespace supervisor
