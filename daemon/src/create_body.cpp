#include "create_body.hpp"

#include <fstream>

#include "engine/runtime/container_spec.hpp"

namespace supervisor {

engine::CreateBodyFn make_create_body(const Config& config) {
  engine::ContainerSpecOptions options;
  options.device_name = config.device_name;
  options.device_type = config.device_type;
  options.device_arch = config.arch;
  options.device_uuid = config.uuid;
  std::ifstream os_release("/etc/os-release");
  for (std::string line; std::getline(os_release, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      options.os_version = line.substr(12);
      std::erase(options.os_version, '"');
    }
  }
  return [options](const reconcile::Service& target, nlohmann::json& body) {
    return engine::container_create_body(target, options, body);
  };
}

}  // namespace supervisor
