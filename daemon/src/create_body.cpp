#include "create_body.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/docker/client.hpp"
#include "engine/runtime/container_spec.hpp"
#include "engine/runtime/supervisor_network.hpp"
#include "version.hpp"

namespace supervisor {
namespace {

std::string os_version() {
  std::ifstream os_release("/etc/os-release");
  for (std::string line; std::getline(os_release, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string value = line.substr(12);
      std::erase(value, '"');
      return value;
    }
  }
  return "";
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string();
}

// The engine's socket, bound into services with the label
// io.balena.features.balena-socket (the default when the engine is on tcp://).
std::string socket_path(const std::string& docker_host) {
  const auto endpoint = engine::docker::parse_docker_host(docker_host);
  if (!endpoint || endpoint->kind != engine::docker::Endpoint::Kind::unix_socket) return "/var/run/docker.sock";
  return endpoint->socket_path;
}

}  // namespace

engine::CreateBodyFn make_create_body(const Config& config, const DeviceIdentity& identity, ApiKeys& keys,
                                      AppNameFn app_name) {
  engine::ContainerSpecOptions options;
  options.uuid = identity.uuid;
  options.device_name = identity.name;
  options.device_type = config.device_type;
  options.device_arch = config.arch;
  options.os_version = os_version();
  options.version = kSupervisorVersion;
  options.api_endpoint = config.api_endpoint;
  options.listen_port = config.listen_port;
  // Services that use the supervisor API reach it at supervisor0's gateway.
  options.supervisor_api_host = engine::supervisor_network::kGateway;
  options.hostname = host_name();
  options.host_has_modules = std::filesystem::exists("/lib/modules");
  options.host_has_firmware = std::filesystem::exists("/lib/firmware");
  options.docker_socket = socket_path(config.docker_host);  // load_config resolved $DOCKER_HOST
  options.lock_dir_root = config.lock_dir();
  return [options, &keys, app_name = std::move(app_name)](const reconcile::Service& target, nlohmann::json& body) {
    engine::ContainerSpecOptions service_options = options;
    service_options.app_name = app_name(target.app_id);
    if (target.config().uses_supervisor_api) {
      auto key = keys.service_key(target.app_id, target.service_name);
      if (!key) return engine::Status(key.error());
      service_options.service_api_key = key.value();
    }
    return engine::container_create_body(target, service_options, body);
  };
}

}  // namespace supervisor
