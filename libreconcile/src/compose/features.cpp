// Feature labels (io.balena.features.*): the host resources a service asks
// for by label. Each adds binds or mounts, environment variables, device
// requests or the supervisor0 network, as balena-supervisor's
// addFeaturesFromLabels does.
#include "compose/internal.hpp"

namespace reconcile::compose::detail {
namespace {

bool enabled(const json& labels, const char* feature) {
  const std::string key = fmt::format("io.balena.features.{}", feature);
  return labels.contains(key) && truthy(labels[key]);
}

void add_bind(json& composition, const std::string& spec) {
  composition["volumes"].push_back(spec);
}

void set_both(json& env, const std::string& name, const std::string& value) {
  env[fmt::format("BALENA_{}", name)] = value;
  env[fmt::format("RESIN_{}", name)] = value;
}

}  // namespace

void apply_features(json& composition, json& feature_env, const Identity& /*id*/, const ServiceOptions& options) {
  const json labels = composition.value("labels", json::object());
  if (!composition.contains("volumes")) composition["volumes"] = json::array();
  const std::string network_mode = composition.value("network_mode", "");

  if (enabled(labels, "balena-socket")) {
    for (const std::string& target : {std::string("/host/run/balena-engine.sock"), options.docker_socket,
                                     std::string("/var/run/balena.sock")}) {
      composition["volumes"].push_back({{"type", "bind"}, {"source", options.docker_socket}, {"target", target}});
    }
    // DOCKER_HOST only when the user has not set it.
    json& env = composition["environment"];
    if (!env.contains("DOCKER_HOST")) env["DOCKER_HOST"] = "unix:///host/run/balena-engine.sock";
  }
  if (enabled(labels, "dbus")) add_bind(composition, "/run/dbus:/host/run/dbus");
  if (enabled(labels, "sysfs")) add_bind(composition, "/sys:/sys");
  if (enabled(labels, "procfs")) add_bind(composition, "/proc:/proc");
  if (enabled(labels, "kernel-modules") && options.host_has_modules) add_bind(composition, "/lib/modules:/lib/modules");
  if (enabled(labels, "firmware") && options.host_has_firmware) add_bind(composition, "/lib/firmware:/lib/firmware");
  if (enabled(labels, "journal-logs")) {
    add_bind(composition, "/var/log/journal:/var/log/journal:ro");
    add_bind(composition, "/run/log/journal:/run/log/journal:ro");
    add_bind(composition, "/etc/machine-id:/etc/machine-id:ro");
  }
  if (enabled(labels, "extra-firmware")) {
    composition["volumes"].push_back({{"type", "volume"}, {"source", "extra-firmware"}, {"target", "/extra-firmware"}});
  }
  if (enabled(labels, "supervisor-api")) {
    const bool host = network_mode == "host";
    const std::string address = host ? "127.0.0.1" : options.supervisor_api_host;
    const std::string port = fmt::to_string(options.listen_port);
    set_both(feature_env, "SUPERVISOR_API_KEY", options.service_api_key);
    set_both(feature_env, "SUPERVISOR_PORT", port);
    set_both(feature_env, "SUPERVISOR_HOST", address);
    set_both(feature_env, "SUPERVISOR_ADDRESS", fmt::format("http://{}:{}", address, port));
    if (joins_supervisor_network(composition)) composition["networks"]["supervisor0"] = json::object();
  } else if (composition.contains("networks")) {
    composition["networks"].erase("supervisor0");
  }
  if (enabled(labels, "balena-api")) {
    set_both(feature_env, "API_KEY", options.device_api_key);
    set_both(feature_env, "API_URL", options.api_endpoint);
  }
  if (enabled(labels, "gpu")) {
    composition["device_requests"].push_back({{"Driver", ""},
                                              {"DeviceIDs", json::array()},
                                              {"Count", 1},
                                              {"Capabilities", json::array({json::array({"gpu"})})},
                                              {"Options", json::object()}});
  }
  if (enabled(labels, "host-os.board-rev") && options.os_board_rev) {
    set_both(feature_env, "HOST_OS_BOARD_REV", *options.os_board_rev);
  }
}

}  // namespace reconcile::compose::detail

namespace reconcile::compose {

bool uses_supervisor_api(const nlohmann::json& composition) {
  using nlohmann::json;
  if (!composition.is_object()) return false;
  const json labels = composition.value("labels", json::object());
  if (!labels.is_object()) return false;
  const auto asks = [&](const char* key) { return labels.contains(key) && detail::truthy(labels[key]); };
  return asks("io.balena.features.supervisor-api") || asks("io.resin.features.supervisor-api");
}

bool joins_supervisor_network(const nlohmann::json& composition) {
  using nlohmann::json;
  if (!uses_supervisor_api(composition)) return false;
  // Containers that share another's network stack cannot join networks.
  const json mode = composition.value("network_mode", json(""));
  const std::string network_mode = mode.is_string() ? mode.get<std::string>() : "";
  return network_mode != "host" && network_mode != "none" && !detail::starts_with(network_mode, "container:") &&
         !detail::starts_with(network_mode, "service:");
}

}  // namespace reconcile::compose
