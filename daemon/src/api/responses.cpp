#include "api/responses.hpp"

#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "reconcile/json.hpp"

namespace supervisor::api {
namespace {

using nlohmann::json;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// What a user sees of a container's state: the engine's status, or the
// download that stands in for a container not created yet.
json container_json(const reconcile::Service& service) {
  json out = {{"status", reconcile::to_string(service.status)},
              {"serviceName", service.service_name},
              {"appId", service.app_id},
              {"imageId", service.image_id},
              {"serviceId", service.service_id},
              {"createdAt", reconcile::format_time(service.created_at)}};
  if (service.container_id) out["containerId"] = *service.container_id;
  return out;
}

std::optional<int> progress_of(const ApplyStatus& status, const std::string& image) {
  auto it = status.download_progress.find(image);
  if (it == status.download_progress.end()) return std::nullopt;
  return it->second;
}

}  // namespace

void send_json(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

void send_failure(httplib::Response& response, int status, const std::string& message) {
  send_json(response, status, {{"status", "failed"}, {"message", message}});
}

bool parse_body(const httplib::Request& request, httplib::Response& response, json& out) {
  out = json::object();
  if (request.body.empty()) return true;
  const std::string type = lower(request.get_header_value("Content-Type"));
  if (type.find("application/json") == std::string::npos) return true;  // as upstream: other bodies are {}
  out = json::parse(request.body, nullptr, false);
  if (out.is_discarded()) {
    send_failure(response, 400, "Invalid JSON body: the request body is not valid JSON");
    return false;
  }
  if (!out.is_object()) {
    send_failure(response, 400, "Invalid JSON body: the request body must be a JSON object");
    return false;
  }
  return true;
}

bool truthy(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number_integer()) return it->get<std::int64_t>() == 1;
  if (it->is_string()) {
    const std::string value = lower(it->get<std::string>());
    return value == "true" || value == "1" || value == "on";
  }
  return false;
}

std::optional<std::int64_t> integer_id(const json& value) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (number == static_cast<double>(static_cast<std::int64_t>(number))) return static_cast<std::int64_t>(number);
    return std::nullopt;
  }
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  const auto dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  if (whole.empty() || whole.size() > 18 || !std::all_of(whole.begin(), whole.end(), ::isdigit)) return std::nullopt;
  if (dot != std::string::npos && text.find_first_not_of('0', dot + 1) != std::string::npos) return std::nullopt;
  return std::stoll(whole);
}

bool apply_is_stuck(const ApplyStatus& status, std::chrono::milliseconds stuck_after) {
  if (!status.applying) return false;
  return now_ms() - status.last_progress_ms > stuck_after.count();
}

json v1_device(DeviceApi& device) {
  const DeviceInfo info = device.info();
  const ApplyStatus status = device.apply_status();
  json out = {{"api_port", info.api_port},
              {"os_version", info.os_version},
              {"supervisor_version", info.supervisor_version},
              {"update_pending", status.applying},
              {"update_failed", status.failures > 0},
              {"update_downloaded", false},
              {"status", "Idle"},
              {"download_progress", nullptr}};
  engine::Snapshot snapshot;
  if (device.current(snapshot).ok() && !snapshot.current.apps.empty()) {
    const auto& app = snapshot.current.apps.front();
    if (!status.applying && app.commit) out["commit"] = *app.commit;
    if (!app.services.empty()) {
      const auto& service = app.services.front();
      const std::string state = reconcile::to_string(service.status);
      out["status"] = state == "Running" ? "Idle" : state;
    }
  }
  if (!status.download_progress.empty()) {
    out["update_downloaded"] = std::all_of(status.download_progress.begin(), status.download_progress.end(),
                                           [](const auto& entry) { return entry.second >= 100; });
    out["download_progress"] = status.download_progress.begin()->second;
  }
  return out;
}

json local_target_json(DeviceApi& device) {
  const DeviceInfo info = device.info();
  json apps = json::object();
  if (const auto target = device.target()) {
    for (const auto& app : target->apps) apps[std::to_string(app.app_id)] = reconcile::to_json(app);
  }
  json config = json::object();
  for (const auto& [key, value] : device.target_config()) config[key] = value;
  return {{"name", info.name}, {"config", config}, {"apps", apps}};
}

void send_state_status(DeviceApi& device, httplib::Response& response) {
  engine::Snapshot snapshot;
  if (const auto read = device.current(snapshot); !read.ok()) {
    return send_failure(response, 503, "Cannot read the device's state: " + read.error);
  }
  const ApplyStatus status = device.apply_status();
  json containers = json::array();
  json images = json::array();
  std::optional<std::string> release;
  for (const auto& app : snapshot.current.apps) {
    for (const auto& service : app.services) containers.push_back(container_json(service));
    if (!release && app.commit) release = *app.commit;
  }
  int progress_sum = 0;
  int progress_count = 0;
  for (const auto& image : snapshot.context.available_images) {
    json entry = reconcile::to_json(image);
    entry["status"] = "Downloaded";
    entry["downloadProgress"] = nullptr;
    images.push_back(std::move(entry));
  }
  for (const auto& [name, percent] : status.download_progress) {
    images.push_back({{"name", name}, {"status", "Downloading"}, {"downloadProgress", percent}});
    progress_sum += percent;
    ++progress_count;
  }
  json out = {{"status", "success"},
              {"appState", status.applying ? "applying" : "applied"},
              {"overallDownloadProgress", progress_count ? json(progress_sum / progress_count) : json(nullptr)},
              {"containers", containers},
              {"images", images}};
  if (release) out["release"] = *release;
  send_json(response, 200, out);
}

void send_applications_state(DeviceApi& device, httplib::Response& response) {
  engine::Snapshot snapshot;
  if (const auto read = device.current(snapshot); !read.ok()) {
    return send_failure(response, 503, "Cannot read the device's state: " + read.error);
  }
  const ApplyStatus status = device.apply_status();
  const auto target = device.target();
  json out = json::object();
  if (!target) return send_json(response, 200, out);
  for (const auto& app : target->apps) {
    json services = json::object();
    for (const auto& service : app.services) {
      // The container of this service in the target release, if there is one.
      std::string state = "Waiting";
      for (const auto& current_app : snapshot.current.apps) {
        for (const auto& container : current_app.services) {
          if (current_app.app_id == app.app_id && container.service_name == service.service_name &&
              container.commit == service.commit) {
            state = reconcile::to_string(container.status);
          }
        }
      }
      const auto progress = progress_of(status, service.image);
      if (progress && state == "Waiting") state = "Downloading";
      services[service.service_name] = {{"status", state},
                                        {"image", service.image},
                                        {"downloadProgress", progress ? json(*progress) : json(nullptr)},
                                        {"releaseId", app.release_id.value_or(service.release_id)}};
    }
    const std::string name = app.name.empty() ? std::to_string(app.app_id) : app.name;
    out[name] = {{"appId", app.app_id},
                 {"appUuid", app.app_uuid},
                 {"commit", app.commit.value_or("")},
                 {"updateStatus", status.applying ? (status.download_progress.empty() ? "applying changes" : "downloading")
                                                  : (status.failures > 0 ? "aborted" : "done")},
                 {"services", services}};
  }
  send_json(response, 200, out);
}

void send_container_ids(DeviceApi& device, const std::string& service, httplib::Response& response) {
  engine::Snapshot snapshot;
  if (const auto read = device.current(snapshot); !read.ok()) {
    return send_failure(response, 503, "Cannot read the device's state: " + read.error);
  }
  json services = json::object();
  for (const auto& app : snapshot.current.apps) {
    for (const auto& container : app.services) {
      if (container.container_id) services[container.service_name] = *container.container_id;
    }
  }
  if (service.empty()) return send_json(response, 200, {{"status", "success"}, {"services", services}});
  if (!services.contains(service)) return send_failure(response, 503, "Could not find service with that name");
  send_json(response, 200, {{"status", "success"}, {"containerId", services[service]}});
}

void stream_logs(Logger& log, const std::atomic<bool>& stopping, httplib::Response& response) {
  // One queue per client, fed by a logger subscription; the content provider
  // drains it until the client disconnects or the server stops.
  struct Queue {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::string> lines;
  };
  auto queue = std::make_shared<Queue>();
  queue->lines.push_back(json{{"message", "Streaming logs"}, {"isSystem", true}}.dump() + "\n");
  const auto id = log.subscribe([queue](const LogEvent& event) {
    if (event.level == Level::Debug) return;
    json line;
    if (event.from_container) {
      line = {{"serviceName", event.service_name}, {"serviceId", event.service_id}, {"message", event.message},
              {"isStdErr", event.is_stderr}, {"timestamp", event.timestamp_ms}};
    } else {
      line = {{"message", event.message.empty() ? Logger::format(event) : event.event + ": " + event.message},
              {"isSystem", true},
              {"timestamp", event.timestamp_ms}};
      if (event.level == Level::Error) line["isStdErr"] = true;
    }
    const std::lock_guard<std::mutex> lock(queue->mutex);
    if (queue->lines.size() < 10'000) queue->lines.push_back(line.dump() + "\n");  // slow client: drop
    queue->ready.notify_one();
  });
  response.set_chunked_content_provider(
      "application/x-ndjson",
      [queue, &stopping](std::size_t, httplib::DataSink& sink) {
        std::unique_lock<std::mutex> lock(queue->mutex);
        queue->ready.wait_for(lock, std::chrono::milliseconds(500), [&] { return !queue->lines.empty(); });
        while (!queue->lines.empty()) {
          const std::string line = std::move(queue->lines.front());
          queue->lines.pop_front();
          lock.unlock();
          if (!sink.write(line.data(), line.size())) return false;
          lock.lock();
        }
        if (stopping) {
          sink.done();
          return false;
        }
        return sink.is_writable();
      },
      [&log, id](bool) { log.unsubscribe(id); });
}

}  // namespace supervisor::api
