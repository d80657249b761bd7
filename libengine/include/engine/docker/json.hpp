// nlohmann/json conveniences for the Docker client. The only header of the
// client that includes nlohmann/json, so the others need only the standard
// library.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/docker/types.hpp"

namespace engine::docker {

[[nodiscard]] inline JsonBody body(const nlohmann::json& json) { return JsonBody{json.dump()}; }

// Parses a `raw` field (inspect/list/event documents). The engine wrote it,
// so it is valid JSON; a damaged one parses as null rather than throwing.
[[nodiscard]] inline nlohmann::json parse_raw(const std::string& raw) {
  return nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
}

}  // namespace engine::docker
