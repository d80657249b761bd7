#include "api/routes_host.hpp"

#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>

#include "api/request_auth.hpp"
#include "api/responses.hpp"
#include "api/server.hpp"
#include "reconcile/json_text.hpp"

namespace supervisor::api {
namespace {

using nlohmann::json;

// Journal streams open at once; one more is refused with 503, so that they
// cannot take every connection thread from /ping and the rest.
constexpr int kMaxJournalStreams = 4;

constexpr const char* kInvalidTags = "Invalid tags body, must be an object like `{[tagKey: string]: string}`";

void send_text(httplib::Response& response, int status, const std::string& text) {
  response.status = status;
  response.set_content(text, "text/plain");
}

// The tags body as §4 takes it: an object of string values, keys without
// whitespace. Decision: a key the cloud refuses (empty, over 100
// characters) is refused here too, since queued it would be retried forever.
engine::Result<std::map<std::string, std::string>> parse_tags(const httplib::Request& request) {
  const auto invalid = [](std::string message) { return engine::Error{engine::ErrorKind::Invalid, std::move(message)}; };
  json body = json::object();
  if (!request.body.empty()) {
    auto parsed = reconcile::parse_json_text(request.body);
    if (!parsed.ok()) return invalid(kInvalidTags);
    body = std::move(parsed).value();
  }
  if (!body.is_object()) return invalid(kInvalidTags);
  std::map<std::string, std::string> tags;
  for (const auto& [key, value] : body.items()) {
    if (!value.is_string()) return invalid(kInvalidTags);
    if (std::any_of(key.begin(), key.end(), [](unsigned char c) { return std::isspace(c) != 0; })) {
      return invalid("Tag keys cannot contain whitespace");
    }
    if (key.empty() || key.size() > 100) {
      return invalid(fmt::format("Tag keys must be 1 to 100 characters long: \"{:.120}\"", key));
    }
    tags.emplace(key, value.get<std::string>());
  }
  return tags;
}

void send_host_config(DeviceApi& device, httplib::Response& response) {
  auto config = device.host_config();
  if (!config) return send_failure(response, 503, config.error().message);
  send_json(response, 200, host_config_json(config.value()));
}

void patch_host_config(DeviceApi& device, const httplib::Request& request, httplib::Response& response) {
  json body;
  if (!parse_body(request, response, body)) return;
  std::vector<std::string> warnings;
  auto patch = parse_host_config_patch(body, warnings);
  // As balena: the answers of this route are text.
  if (!patch) return send_text(response, 400, patch.error().message);
  for (const std::string& warning : warnings) device.log().warn("api", "host config: " + warning);
  const engine::Force force = truthy(body, "force") ? engine::Force::Yes : engine::Force::No;
  const engine::Status done = device.set_host_config(patch.value(), force);
  if (!done.ok()) {
    const int status = done.error().kind == engine::ErrorKind::Locked    ? 423
                       : done.error().kind == engine::ErrorKind::Invalid ? 400
                                                                          : 503;
    return send_text(response, status, done.error().message);
  }
  send_text(response, 200, "OK");
}

void stream_journal(DeviceApi& device, const std::shared_ptr<std::atomic<int>>& open_streams,
                    const httplib::Request& request, httplib::Response& response) {
  json body;
  if (!parse_body(request, response, body)) return;
  auto arguments = journal_arguments(body);
  if (!arguments) return send_failure(response, 400, arguments.error().message);
  if (open_streams->fetch_add(1) >= kMaxJournalStreams) {
    --*open_streams;
    return send_failure(response, 503, fmt::format("Too many journal streams open (at most {})", kMaxJournalStreams));
  }
  std::shared_ptr<void> slot(nullptr, [open_streams](void*) { --*open_streams; });
  auto child = device.journal(arguments.value());
  if (!child) return send_failure(response, 503, child.error().message);
  std::shared_ptr<ChildOutput> output(std::move(child).value());
  // The process lives as long as the provider: when the client goes (a write
  // fails) or the stream ends, httplib drops the provider and the process
  // is killed. Between outputs the provider comes back every 500 ms so
  // that a server that stops ends the stream.
  response.set_chunked_content_provider(
      "text/plain", [output, slot](std::size_t, httplib::DataSink& sink) {
        std::string chunk;
        switch (output->read(chunk, 64 * 1024, std::chrono::milliseconds(500))) {
          case ChildOutput::Read::Data: return sink.write(chunk.data(), chunk.size());
          case ChildOutput::Read::Idle: return sink.is_writable();
          case ChildOutput::Read::End: sink.done(); return true;
        }
        return false;
      });
}

}  // namespace

void add_host_routes(httplib::Server& http, DeviceApi& device) {
  http.Post("/v1/blink", [&device](const httplib::Request&, httplib::Response& response) {
    // As balena: 200 whether or not the host has an LED (the log says).
    (void)device.blink();
    send_text(response, 200, "OK");
  });
  http.Get("/v1/device/host-config", [&device](const httplib::Request&, httplib::Response& response) {
    send_host_config(device, response);
  });
  http.Patch("/v1/device/host-config", [&device](const httplib::Request& request, httplib::Response& response) {
    patch_host_config(device, request, response);
  });
  http.Get("/v2/device/tags", [&device](const httplib::Request&, httplib::Response& response) {
    auto tags = device.device_tags();
    if (!tags) return send_failure(response, 500, tags.error().message);
    json list = json::array();
    for (const DeviceTag& tag : tags.value()) list.push_back({{"id", tag.id}, {"name", tag.name}, {"value", tag.value}});
    send_json(response, 200, {{"status", "success"}, {"tags", list}});
  });
  http.Patch("/v2/device/tags", [&device](const httplib::Request& request, httplib::Response& response) {
    auto tags = parse_tags(request);
    if (!tags) return send_failure(response, 400, tags.error().message);
    if (auto stored = device.set_device_tags(tags.value()); !stored.ok()) {
      return send_failure(response, 500, stored.error().message);
    }
    send_json(response, 202, {{"status", "success"}});
  });
  http.Get("/v2/cleanup-volumes", [&device](const httplib::Request&, httplib::Response& response) {
    // §7 decision: an internal error answers 503 rather than hanging.
    auto removed = device.cleanup_volumes(request_auth().scope);
    if (!removed) return send_failure(response, 503, removed.error().message);
    send_json(response, 200, {{"status", "success"}});
  });
  auto open_streams = std::make_shared<std::atomic<int>>(0);
  http.Post("/v2/journal-logs", [&device, open_streams](const httplib::Request& request, httplib::Response& response) {
    stream_journal(device, open_streams, request, response);
  });
}

}  // namespace supervisor::api
