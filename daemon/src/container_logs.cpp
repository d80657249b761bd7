#include "container_logs.hpp"

#include <chrono>

#include "engine/docker/json.hpp"

namespace supervisor {

ContainerLogs::ContainerLogs(const engine::docker::Client& docker, Logger& log)
    : docker_(docker),
      log_(log),
      started_at_(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()) {}

ContainerLogs::~ContainerLogs() { stop(); }

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
    options.since = std::max(started_at_, container.created);
    options.tty = raw.is_object() && raw.contains("Config") && raw["Config"].value("Tty", false);
    const auto name = inspected->labels.find("io.balena.service-name");
    const auto id = inspected->labels.find("io.balena.service-id");
    const std::string service = name == inspected->labels.end() ? container.name : name->second;
    std::int64_t service_id = 0;
    try {
      if (id != inspected->labels.end()) service_id = std::stoll(id->second);
    } catch (const std::exception&) {
    }
    auto ended = std::make_shared<std::atomic<bool>>(false);
    Follower follower;
    follower.ended = ended;
    follower.thread = std::thread([this, container_id = container.id, options, service, service_id, ended] {
      (void)docker_.stream_logs(
          container_id, options,
          [&](engine::docker::OutputStream stream, std::string_view line) {
            log_.container_line(service, service_id, stream == engine::docker::OutputStream::stderr_stream,
                                std::string(line));
          },
          &stopping_);
      *ended = true;
    });
    followers_.emplace(container.id, std::move(follower));
  }
}

}  // namespace supervisor
