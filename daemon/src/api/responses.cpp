#include "api/responses.hpp"

#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "reconcile/json.hpp"
#include "reconcile/json_text.hpp"
#include "reconcile/status.hpp"
#include "reconcile/status_json.hpp"

namespace supervisor::api {
namespace {

using nlohmann::json;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

reconcile::State only_in_scope(reconcile::State state, const KeyScope& scope) {
  std::erase_if(state.apps, [&](const reconcile::App& app) { return !scope.allows(app.app_id); });
  return state;
}

// What a key of `scope` may see of the device: its apps, their images.
reconcile::StatusInput status_input(DeviceApi& device, engine::Snapshot snapshot, const KeyScope& scope = {}) {
  std::vector<reconcile::Image> images = std::move(snapshot.context.available_images);
  std::erase_if(images, [&](const reconcile::Image& image) { return !scope.allows(image.app_id); });
  std::optional<reconcile::State> target = device.target();
  if (target) target = only_in_scope(std::move(*target), scope);
  return {only_in_scope(std::move(snapshot.current), scope), std::move(images), std::move(target),
          apply_progress(device.apply_status())};
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
  // Nesting bounded before parsing (reconcile/json_text.hpp): a deep body
  // is refused without the memory its tree would take.
  auto parsed = reconcile::parse_json_text(request.body);
  if (!parsed.ok()) {
    send_failure(response, 400, fmt::format("Invalid JSON body: the request body is {}", parsed.error().message));
    return false;
  }
  out = std::move(parsed).value();
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
  engine::Snapshot snapshot;
  if (!device.current(snapshot).ok()) snapshot = {};  // answer with what the loop knows
  json out = reconcile::device_summary_json(reconcile::device_summary(status_input(device, std::move(snapshot))));
  out["api_port"] = info.api_port;
  out["os_version"] = info.os_version;
  out["supervisor_version"] = info.supervisor_version;
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

void send_state_status(DeviceApi& device, const KeyScope& scope, httplib::Response& response) {
  engine::Snapshot snapshot;
  if (const auto read = device.current(snapshot); !read.ok()) {
    return send_failure(response, 503, fmt::format("Cannot read the device's state: {}", read.error().message));
  }
  const auto status = reconcile::device_status(status_input(device, std::move(snapshot), scope));
  send_json(response, 200, reconcile::state_status_json(status));
}

void send_applications_state(DeviceApi& device, const KeyScope& scope, httplib::Response& response) {
  engine::Snapshot snapshot;
  if (const auto read = device.current(snapshot); !read.ok()) {
    return send_failure(response, 503, fmt::format("Cannot read the device's state: {}", read.error().message));
  }
  const auto apps = reconcile::applications_state(status_input(device, std::move(snapshot), scope));
  send_json(response, 200, reconcile::applications_state_json(apps));
}

void send_container_ids(DeviceApi& device, const KeyScope& scope, const std::string& service,
                        httplib::Response& response) {
  engine::Snapshot snapshot;
  if (const auto read = device.current(snapshot); !read.ok()) {
    return send_failure(response, 503, fmt::format("Cannot read the device's state: {}", read.error().message));
  }
  json services = json::object();
  for (const auto& app : snapshot.current.apps) {
    if (!scope.allows(app.app_id)) continue;
    for (const auto& container : app.services) {
      if (container.container_id) services[container.service_name] = *container.container_id;
    }
  }
  if (service.empty()) return send_json(response, 200, {{"status", "success"}, {"services", services}});
  if (!services.contains(service)) return send_failure(response, 503, "Could not find service with that name");
  send_json(response, 200, {{"status", "success"}, {"containerId", services[service]}});
}

void send_app_state(DeviceApi& device, std::int64_t app_id, httplib::Response& response) {
  engine::Snapshot snapshot;
  if (const auto read = device.current(snapshot); !read.ok()) {
    return send_failure(response, 500, fmt::format("Unable to retrieve state for application ID: {}", app_id));
  }
  const KeyScope only_app{app_id};
  const auto apps = reconcile::applications_state(status_input(device, snapshot, only_app));
  const auto app = std::find_if(snapshot.current.apps.begin(), snapshot.current.apps.end(),
                                [&](const reconcile::App& each) { return each.app_id == app_id; });
  if (apps.empty() && app == snapshot.current.apps.end()) {
    return send_failure(response, 409, fmt::format("Application ID does not exist: {}", app_id));
  }
  // Legacy shape: services keyed by image id, under the app's id.
  json services = json::object();
  std::optional<std::string> commit;
  if (app != snapshot.current.apps.end()) {
    commit = app->commit;
    for (const reconcile::Service& service : app->services) {
      services[std::to_string(service.image_id)] = {
          {"status", reconcile::to_string(reconcile::entry_status(service.status))},
          {"releaseId", service.release_id},
          {"download_progress", nullptr}};
    }
  }
  if (!apps.empty() && !apps.front().commit.empty() && !commit) commit = apps.front().commit;
  json body = {{"local", {{std::to_string(app_id), {{"services", services}}}}}};
  body["commit"] = commit ? json(*commit) : json(nullptr);
  send_json(response, 200, body);
}

void stream_logs(Logger& log, const std::atomic<bool>& stopping, httplib::Response& response,
                 std::shared_ptr<void> hold) {
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
    } else if (!event.system_text.empty()) {
      line = {{"message", event.system_text}, {"isSystem", true}, {"timestamp", event.timestamp_ms}};
      if (event.level == Level::Error) line["isStdErr"] = true;
    } else if (event.level >= Level::Warn) {
      // A failure without a balena line of its own is still the user's to see.
      line = {{"message", event.message.empty() ? Logger::format(event) : event.message},
              {"isSystem", true},
              {"isStdErr", true},
              {"timestamp", event.timestamp_ms}};
    } else {
      return;  // the daemon's internal events ("plan", "settled") are its own log's
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
      [&log, id, hold = std::move(hold)](bool) { log.unsubscribe(id); });
}

}  // namespace supervisor::api
