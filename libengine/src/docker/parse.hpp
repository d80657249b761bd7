// Engine JSON documents to the client's value types. Private to the client.
// Lenient: a missing or mistyped field becomes its default, because engines
// of different versions omit or null different fields.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "engine/docker/types.hpp"

namespace engine::docker::detail {

[[nodiscard]] std::string dump(const nlohmann::json& json);

[[nodiscard]] ContainerSummary parse_container_summary(const nlohmann::json& json);
[[nodiscard]] ContainerInfo parse_container_info(const nlohmann::json& json);
[[nodiscard]] ImageSummary parse_image_summary(const nlohmann::json& json);
[[nodiscard]] ImageInfo parse_image_info(const nlohmann::json& json);
[[nodiscard]] NetworkInfo parse_network(const nlohmann::json& json);
[[nodiscard]] VolumeInfo parse_volume(const nlohmann::json& json);
[[nodiscard]] Event parse_event(const nlohmann::json& json);
// One message of the pull stream into `out`. Returns the engine's error text
// when the message reports a failure (the HTTP status is already 200 by then).
[[nodiscard]] std::string read_pull_message(const nlohmann::json& json, PullProgress& out);

}  // namespace engine::docker::detail
