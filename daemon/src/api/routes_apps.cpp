// Routes that act on one app: restart, purge, the service actions, the
// v1 single-container endpoints and the per-app state. Each checks that the
// request's key covers the app, answering as balena does when it does not.
#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>

#include "api/request_auth.hpp"
#include "api/responses.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"

namespace supervisor::api {
namespace {

using nlohmann::json;

constexpr const char* kMultiContainer =
    "serviceName or imageId parameters were not provided or the app is multi-container. "
    "Use the v2 service action endpoints.";

engine::Force force_of(const json& body) { return truthy(body, "force") ? engine::Force::Yes : engine::Force::No; }

void send_text(httplib::Response& response, int status, const std::string& text) {
  response.status = status;
  response.set_content(text, "text/plain");
}

void send_action_failure(httplib::Response& response, const engine::Error& error) {
  send_failure(response, http_status_of(error.kind), error.message);
}

std::optional<std::int64_t> path_app_id(const httplib::Request& request) {
  return integer_id(json(request.matches[1].str()));
}

bool in_scope(std::int64_t app_id) { return request_auth().scope.allows(app_id); }

// The app's services as they run now, or the failure to send.
struct AppServices {
  std::vector<reconcile::Service> services;
  std::optional<std::string> commit;
};
engine::Status running_services(DeviceApi& device, std::int64_t app_id, AppServices& out) {
  engine::Snapshot snapshot;
  if (auto read = device.current(snapshot); !read.ok()) return read;
  for (const reconcile::App& app : snapshot.current.apps) {
    if (app.app_id != app_id) continue;
    out.services = app.services;
    out.commit = app.commit;
  }
  return engine::Status::success();
}

// The environment GET /v1/apps/:appId shows: the service's own, no API keys.
json visible_environment(const reconcile::Service& service) {
  const json composition = json::parse(service.config().composition, nullptr, false);
  json env = composition.is_object() ? composition.value("environment", json::object()) : json::object();
  if (!env.is_object()) env = json::object();
  for (const char* secret : {"BALENA_SUPERVISOR_API_KEY", "RESIN_SUPERVISOR_API_KEY", "BALENA_API_KEY", "RESIN_API_KEY"}) {
    env.erase(secret);
  }
  return env;
}

void restart_or_purge(DeviceApi& device, bool purge, std::int64_t app_id, const json& body,
                      httplib::Response& response, bool v1) {
  const engine::Status done = purge ? device.purge_app(app_id, force_of(body)) : device.restart_app(app_id, force_of(body));
  if (!done.ok()) return send_action_failure(response, done.error());
  if (purge && v1) return send_json(response, 200, {{"Data", "OK"}, {"Error", ""}});
  send_text(response, 200, "OK");
}

void v1_app_action(DeviceApi& device, const httplib::Request& request, httplib::Response& response) {
  json body;
  if (!parse_body(request, response, body)) return;
  const auto app_id = path_app_id(request);
  if (!app_id || *app_id <= 0) return send_text(response, 400, "Invalid app id");
  if (!in_scope(*app_id)) return send_text(response, 401, "Unauthorized");
  const bool start = request.matches[2] == "start";
  AppServices app;
  if (auto read = running_services(device, *app_id, app); !read.ok()) return send_action_failure(response, read.error());
  if (app.services.empty()) {
    return send_text(response, 400,
                     "App not found: an app needs to be installed for this endpoint to work. If you've recently "
                     "moved this device from another app, please push an app and wait for it to be installed first.");
  }
  if (app.services.size() > 1) return send_text(response, 400, kMultiContainer);
  const std::string name = app.services.front().service_name;
  const engine::Status done = device.service_action(*app_id, start ? ServiceAction::Start : ServiceAction::Stop, name,
                                                    start ? engine::Force::No : force_of(body));
  if (!done.ok()) return send_action_failure(response, done.error());
  AppServices after;
  if (auto read = running_services(device, *app_id, after); !read.ok()) {
    return send_action_failure(response, read.error());
  }
  const auto service = std::find_if(after.services.begin(), after.services.end(),
                                    [&](const reconcile::Service& each) { return each.service_name == name; });
  if (service == after.services.end() || !service->container_id) {
    return send_text(response, 400, "Service not found, a container must exist for this endpoint to work");
  }
  send_json(response, 200, {{"containerId", *service->container_id}});
}

void v1_app_info(DeviceApi& device, const httplib::Request& request, httplib::Response& response) {
  const auto app_id = path_app_id(request);
  if (!app_id || *app_id <= 0) return send_text(response, 400, "Missing app id");
  if (!in_scope(*app_id)) return send_failure(response, 401, "Application is not available");
  AppServices app;
  if (auto read = running_services(device, *app_id, app); !read.ok()) return send_action_failure(response, read.error());
  if (app.services.empty()) return send_text(response, 400, "App not found");
  if (app.services.size() > 1) {
    return send_text(response, 400, "Some v1 endpoints are only allowed on single-container apps");
  }
  const reconcile::Service& service = app.services.front();
  json body = {{"appId", *app_id},
               {"containerId", service.container_id.value_or("")},
               {"env", visible_environment(service)},
               {"imageId", service.image},
               {"releaseId", service.release_id}};
  body["commit"] = app.commit ? json(*app.commit) : json(nullptr);
  send_json(response, 200, body);
}

void v2_service_action(DeviceApi& device, const httplib::Request& request, httplib::Response& response) {
  json body;
  if (!parse_body(request, response, body)) return;
  const auto app_id = path_app_id(request);
  if (!app_id || *app_id <= 0) return send_failure(response, 400, "Invalid app id");
  if (!in_scope(*app_id)) return send_failure(response, 401, "Unauthorized");
  const std::string verb = request.matches[2];
  const ServiceAction action = verb == "restart" ? ServiceAction::Restart
                               : verb == "stop"  ? ServiceAction::Stop
                                                 : ServiceAction::Start;
  std::string service = body.value("serviceName", json("")).is_string() ? body.value("serviceName", "") : "";
  if (service.empty() && body.contains("imageId")) service = fmt::format("#{}", body["imageId"].dump());
  if (service.empty()) return send_text(response, 400, kMultiContainer);
  const engine::Status done = device.service_action(*app_id, action, service, force_of(body));
  if (!done.ok()) {
    // As balena: 404s are text, locks and other failures JSON.
    const int status = http_status_of(done.error().kind);
    if (status == 404) return send_text(response, status, done.error().message);
    return send_failure(response, status, done.error().message);
  }
  send_text(response, 200, "OK");
}

}  // namespace

void add_app_routes(httplib::Server& http, DeviceApi& device) {
  // v1: the app id in the body.
  for (const bool purge : {false, true}) {
    http.Post(purge ? "/v1/purge" : "/v1/restart", [&device, purge](const httplib::Request& request,
                                                                      httplib::Response& response) {
      json body;
      if (!parse_body(request, response, body)) return;
      const auto app_id = integer_id(body.value("appId", json()));
      if (!app_id || *app_id <= 0) return send_text(response, 400, purge ? "Invalid or missing appId" : "Missing app id");
      if (!in_scope(*app_id)) return send_failure(response, 401, "Unauthorized");
      restart_or_purge(device, purge, *app_id, body, response, true);
    });
  }
  http.Post(R"(/v1/apps/([^/]+)/(stop|start))", [&device](const httplib::Request& request, httplib::Response& response) {
    v1_app_action(device, request, response);
  });
  http.Get(R"(/v1/apps/([^/]+))", [&device](const httplib::Request& request, httplib::Response& response) {
    v1_app_info(device, request, response);
  });

  // v2: the app id in the path.
  http.Post(R"(/v2/applications/([^/]+)/(restart|purge))",
            [&device](const httplib::Request& request, httplib::Response& response) {
              json body;
              if (!parse_body(request, response, body)) return;
              const auto app_id = path_app_id(request);
              if (!app_id || *app_id <= 0) return send_failure(response, 400, "Missing app id");
              if (!in_scope(*app_id)) return send_failure(response, 401, "Unauthorized");
              restart_or_purge(device, request.matches[2] == "purge", *app_id, body, response, false);
            });
  http.Post(R"(/v2/applications/([^/]+)/(restart|stop|start)-service)",
            [&device](const httplib::Request& request, httplib::Response& response) {
              v2_service_action(device, request, response);
            });
  http.Get(R"(/v2/applications/([^/]+)/state)", [&device](const httplib::Request& request,
                                                          httplib::Response& response) {
    const std::string raw = request.matches[1];
    const auto app_id = integer_id(json(raw));
    if (!app_id || *app_id <= 0) return send_failure(response, 400, fmt::format("Invalid application ID: {}", raw));
    // As balena: an app the key does not cover is one that does not exist.
    if (!in_scope(*app_id)) return send_failure(response, 409, fmt::format("Application ID does not exist: {}", *app_id));
    send_app_state(device, *app_id, response);
  });
}

}  // namespace supervisor::api
