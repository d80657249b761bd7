// Device-level routes (any valid key) and the listings, which show only
// the apps the request's key covers.
#include <httplib.h>

#include <fmt/format.h>

#include <filesystem>

#include "api/request_auth.hpp"
#include "api/responses.hpp"
#include "api/routes.hpp"
#include "api/routes_host.hpp"
#include "api/server.hpp"
#include "version.hpp"

namespace supervisor::api {
namespace {

using nlohmann::json;

engine::Force force_of(const json& body) { return truthy(body, "force") ? engine::Force::Yes : engine::Force::No; }

// /v1/reboot and /v1/shutdown answer in their own envelope.
void send_power_answer(httplib::Response& response, const engine::Status& done) {
  if (done.ok()) return send_json(response, 202, {{"Data", "OK"}, {"Error", nullptr}});
  const int status = done.error().kind == engine::ErrorKind::Locked ? 423 : 500;
  send_json(response, status, {{"Data", ""}, {"Error", done.error().message}});
}

}  // namespace

void add_device_routes(httplib::Server& http, DeviceApi& device) {
  http.Get("/v2/version", [&device](const httplib::Request&, httplib::Response& response) {
    // `version` is the balena API level balena's tools compare against;
    // `daemonVersion` is this daemon's own (they ignore unknown fields).
    send_json(response, 200, {{"status", "success"},
                              {"version", device.info().supervisor_version},
                              {"daemonVersion", kDaemonVersion}});
  });
  http.Get("/v1/device", [&device](const httplib::Request&, httplib::Response& response) {
    send_json(response, 200, v1_device(device));
  });
  http.Get("/v2/device/name", [&device](const httplib::Request&, httplib::Response& response) {
    send_json(response, 200, {{"status", "success"}, {"deviceName", device.info().name}});
  });
  http.Get("/v2/device/vpn", [&device](const httplib::Request&, httplib::Response& response) {
    // The VPN is the host OS's (balenaOS): its control variable and its
    // status file, as balena reports them; false on other hosts.
    const auto config = device.target_config();
    const auto control = config.find("SUPERVISOR_VPN_CONTROL");
    const bool enabled = control == config.end() || control->second == "true";
    std::error_code error;
    const bool connected = std::filesystem::exists("/run/openvpn/vpn_status/active", error);
    send_json(response, 200, {{"status", "success"}, {"vpn", {{"enabled", enabled}, {"connected", connected}}}});
  });
  http.Post("/v1/update", [&device](const httplib::Request& request, httplib::Response& response) {
    json body;
    if (!parse_body(request, response, body)) return;
    // As balena: 204 when a fetch is triggered, 202 "Accepted" when
    // instant updates are off and force was not asked.
    if (device.trigger_update(force_of(body), truthy(body, "cancel"))) {
      response.status = 204;
    } else {
      response.status = 202;
      response.set_content("Accepted", "text/plain");
    }
  });
  http.Post("/v1/regenerate-api-key", [&device](const httplib::Request&, httplib::Response& response) {
    auto renewed = device.regenerate_key(request_auth().key);
    // As balena: no key of this device (local mode without one) is a 503
    // with an empty message.
    if (!renewed) {
      return send_failure(response, 503,
                          renewed.error().kind == engine::ErrorKind::NotFound ? "" : renewed.error().message);
    }
    response.set_content(renewed.value(), "text/plain");
  });
  http.Post("/v1/reboot", [&device](const httplib::Request& request, httplib::Response& response) {
    json body;
    if (!parse_body(request, response, body)) return;
    send_power_answer(response, device.power(PowerAction::Reboot, force_of(body)));
  });
  http.Post("/v1/shutdown", [&device](const httplib::Request& request, httplib::Response& response) {
    json body;
    if (!parse_body(request, response, body)) return;
    send_power_answer(response, device.power(PowerAction::Shutdown, force_of(body)));
  });

  // Listings ("F"): what the key covers.
  http.Get("/v2/state/status", [&device](const httplib::Request&, httplib::Response& response) {
    send_state_status(device, request_auth().scope, response);
  });
  http.Get("/v2/applications/state", [&device](const httplib::Request&, httplib::Response& response) {
    send_applications_state(device, request_auth().scope, response);
  });
  http.Get("/v2/containerId", [&device](const httplib::Request& request, httplib::Response& response) {
    std::string name = request.get_param_value("serviceName");
    if (name.empty()) name = request.get_param_value("service");
    send_container_ids(device, request_auth().scope, name, response);
  });

  // The host and the cloud: blink, host config, tags, volumes, journal.
  add_host_routes(http, device);
}

}  // namespace supervisor::api
