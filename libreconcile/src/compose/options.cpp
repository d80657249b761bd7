// The Options object of the compose conversions (FORMAT.md): what the
// supervisor knows about the device and adds to every service. Read once
// into a struct so that conversions do not re-parse it.
#include "compose/internal.hpp"

namespace reconcile::compose {

Parsed<ServiceOptions> parse_service_options(const nlohmann::json& json) {
  using reconcile::detail::Reader;
  try {
    ServiceOptions options;
    if (json.is_null()) return options;
    const Reader reader(json, "");
    reader.expect_object();
    const std::pair<const char*, std::string ServiceOptions::*> strings[] = {
        {"uuid", &ServiceOptions::uuid},
        {"deviceName", &ServiceOptions::device_name},
        {"appName", &ServiceOptions::app_name},
        {"deviceType", &ServiceOptions::device_type},
        {"deviceArch", &ServiceOptions::device_arch},
        {"osVersion", &ServiceOptions::os_version},
        {"version", &ServiceOptions::version},
        {"apiEndpoint", &ServiceOptions::api_endpoint},
        {"deviceApiKey", &ServiceOptions::device_api_key},
        {"supervisorApiHost", &ServiceOptions::supervisor_api_host},
        {"serviceApiKey", &ServiceOptions::service_api_key},
        {"hostname", &ServiceOptions::hostname},
        {"dockerSocket", &ServiceOptions::docker_socket},
    };
    for (const auto& [key, field] : strings) {
      if (reader.has(key) && !json[key].is_null()) options.*field = reader.at(key).as_string();
    }
    if (reader.has("listenPort") && !json["listenPort"].is_null()) {
      options.listen_port = reader.at("listenPort").as_int();
    }
    if (reader.has("hostPathExists") && !json["hostPathExists"].is_null()) {
      const Reader paths = reader.at("hostPathExists");
      paths.expect_object();
      if (paths.has("modules")) options.host_has_modules = paths.at("modules").as_bool();
      if (paths.has("firmware")) options.host_has_firmware = paths.at("firmware").as_bool();
    }
    if (reader.has("osBoardRev") && !json["osBoardRev"].is_null()) {
      options.os_board_rev = reader.at("osBoardRev").as_string();
    }
    if (reader.has("imageInfo") && !json["imageInfo"].is_null()) {
      reader.at("imageInfo").expect_object();
      options.image_info = json["imageInfo"];
    }
    if (reader.has("containerIds") && !json["containerIds"].is_null()) {
      options.container_ids = reader.at("containerIds").as_string_map();
    }
    return options;
  } catch (const reconcile::detail::FieldError& error) {
    return ParseError{error.pointer, error.message};
  }
}

}  // namespace reconcile::compose
