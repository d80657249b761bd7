#include "container_logs.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ctime>

#include "engine/docker/json.hpp"

namespace supervisor {
namespace {

std::optional<int> digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  const auto [end, error] = std::from_chars(text.data() + at, text.data() + at + count, value);
  if (error != std::errc() || end != text.data() + at + count) return std::nullopt;
  return value;
}

ServiceLogsLevel level_from_env(const nlohmann::json& raw) {
  if (!raw.is_object() || !raw.contains("Config") || !raw["Config"].is_object()) return ServiceLogsLevel::All;
  const auto& env = raw["Config"].value("Env", nlohmann::json::array());
  if (!env.is_array()) return ServiceLogsLevel::All;
  constexpr std::string_view kName = "BALENA_LOGS_LEVEL=";
  for (const auto& item : env) {
    if (!item.is_string()) continue;
    const std::string& text = item.get_ref<const std::string&>();
    if (text.rfind(kName, 0) == 0) return logs_level_of(std::string_view(text).substr(kName.size()));
  }
  return ServiceLogsLevel::All;
}

}  // namespace

std::optional<std::int64_t> parse_engine_time_ns(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  const auto year = digits(text, 0, 4);
  const auto month = digits(text, 5, 2);
  const auto day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2);
  const auto minute = digits(text, 14, 2);
  const auto second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text.size() < 20 || text[4] != '-' ||
      text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  std::int64_t fraction = 0;
  std::size_t at = 19;
  if (text[at] == '.') {
    int scale = 9;
    ++at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) != 0) {
      if (scale > 0) {
        fraction = fraction * 10 + (text[at] - '0');
        --scale;
      }
      ++at;
    }
    while (scale-- > 0) fraction *= 10;
  }
  if (at >= text.size() || text[at] != 'Z') return std::nullopt;
  std::tm parts{};
  parts.tm_year = *year - 1900;
  parts.tm_mon = *month - 1;
  parts.tm_mday = *day;
  parts.tm_hour = *hour;
  parts.tm_min = *minute;
  parts.tm_sec = *second;
  const std::time_t seconds = timegm(&parts);
  return static_cast<std::int64_t>(seconds) * 1'000'000'000 + fraction;
}

ServiceLogsLevel logs_level_of(std::string_view value) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "none") return ServiceLogsLevel::None;
  if (lower == "err" || lower == "error") return ServiceLogsLevel::ErrorsOnly;
  return ServiceLogsLevel::All;
}

ContainerLogs::ContainerLogs(const engine::docker::Client& docker, Logger& log)
    : docker_(docker),
      log_(log),
      started_at_(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()) {}

ContainerLogs::~ContainerLogs() { stop(); }

void ContainerLogs::set_resume_point(ResumePoint resume_point) {
  const std::lock_guard<std::mutex> lock(mutex_);
  resume_point_ = std::move(resume_point);
}

void ContainerLogs::set_before_line(BeforeLine before_line) {
  const std::lock_guard<std::mutex> lock(mutex_);
  before_line_ = std::move(before_line);
}

void ContainerLogs::stop() {
  stopping_ = true;
  const std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, follower] : followers_) {
    if (follower.thread.joinable()) follower.thread.join();
  }
  followers_.clear();
}

void ContainerLogs::sync() {
  if (stopping_) return;
  auto running = docker_.list_containers({{"label", {"io.balena.supervised"}}}, engine::docker::ListScope::running_only);
  if (!running.ok()) return;  // the apply loop reports engine trouble
  const std::lock_guard<std::mutex> lock(mutex_);
  // Forget the streams that ended (their container stopped or restarted).
  for (auto it = followers_.begin(); it != followers_.end();) {
    if (*it->second.ended) {
      it->second.thread.join();
      it = followers_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& container : running.value()) {
    if (followers_.contains(container.id)) continue;
    auto inspected = docker_.inspect_container(container.id);
    if (!inspected.ok()) continue;
    const auto raw = engine::docker::parse_raw(inspected->raw);
    engine::docker::LogOptions options;
    options.timestamps = true;
    // Lines at or before `after` were read (this run) or sent (an earlier one).
    std::int64_t after = 0;
    {
      const std::lock_guard<std::mutex> read_lock(*read_until_mutex_);
      if (const auto read = read_until_->find(container.id); read != read_until_->end()) after = read->second;
    }
    if (after == 0 && resume_point_) after = resume_point_(container.id).value_or(0);
    if (after > 0) {
      options.since_ns = after;
    } else {
      options.since = std::max(started_at_, container.created);
    }
    options.tty = raw.is_object() && raw.contains("Config") && raw["Config"].value("Tty", false);
    const auto name = inspected->labels.find("io.balena.service-name");
    const auto id = inspected->labels.find("io.balena.service-id");
    const std::string service = name == inspected->labels.end() ? container.name : name->second;
    std::int64_t service_id = 0;
    try {
      if (id != inspected->labels.end()) service_id = std::stoll(id->second);
    } catch (const std::exception&) {
    }
    const ServiceLogsLevel level = level_from_env(raw);
    auto ended = std::make_shared<std::atomic<bool>>(false);
    Follower follower;
    follower.ended = ended;
    follower.thread = std::thread([this, container_id = container.id, options, service, service_id, level, after,
                                   ended, read_until = read_until_, read_mutex = read_until_mutex_,
                                   before_line = before_line_] {
      (void)docker_.stream_logs(
          container_id, options,
          [&](engine::docker::OutputStream stream, std::string_view text) {
            // "<RFC 3339 time> <line>"; a line without a readable time is
            // kept and stamped now.
            std::int64_t time_ns = 0;
            const auto space = text.find(' ');
            if (space != std::string_view::npos) {
              if (const auto parsed = parse_engine_time_ns(text.substr(0, space))) {
                time_ns = *parsed;
                text.remove_prefix(space + 1);
              }
            }
            // Read or sent already. Only the starting point counts: two
            // lines of one stream may carry the same time.
            if (time_ns > 0 && time_ns <= after) return;
            if (before_line) before_line();
            if (time_ns > 0) {
              const std::lock_guard<std::mutex> read_lock(*read_mutex);
              (*read_until)[container_id] = time_ns;
            }
            log_.container_line(ContainerLine{service, service_id,
                                              stream == engine::docker::OutputStream::stderr_stream,
                                              std::string(text), container_id, time_ns, level});
          },
          &stopping_);
      *ended = true;
    });
    followers_.emplace(container.id, std::move(follower));
  }
}

}  // namespace supervisor
