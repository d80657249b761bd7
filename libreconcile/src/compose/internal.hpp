// Shared pieces of the compose module, private to it. A conversion that
// meets a value it cannot use throws detail::FieldError naming the field (a
// JSON pointer); the public entry points turn it into a ParseError.
#pragma once

#include <cstdint>
#include <exception>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "json/reader.hpp"
#include "reconcile/compose_json.hpp"

namespace reconcile::compose::detail {

using nlohmann::json;
using reconcile::detail::child_pointer;
using reconcile::detail::FieldError;

[[noreturn]] void fail(const std::string& pointer, const std::string& message);

// Runs a conversion, turning a thrown FieldError (or a JSON type error from a
// malformed input) into a ParseError.
template <typename F>
Parsed<json> guarded(F&& convert) {
  try {
    return convert();
  } catch (const FieldError& error) {
    return ParseError{error.pointer, error.message};
  } catch (const nlohmann::json::exception& error) {
    return ParseError{"", error.what()};
  } catch (const std::exception& error) {  // a number out of range
    return ParseError{"", fmt::format("cannot convert: {}", error.what())};
  }
}

// ---- small values (values.cpp)
[[nodiscard]] std::string trim(std::string_view text);
[[nodiscard]] bool starts_with(std::string_view text, std::string_view prefix);
[[nodiscard]] bool all_digits(std::string_view text);
// object[key], or null when the object is not one or has no such key.
[[nodiscard]] const json& member(const json& object, const char* key);
// A string, number or boolean as the text the engine would see.
[[nodiscard]] std::string scalar_text(const json& value, const std::string& pointer);
// Upstream checkTruthy: true, 1, "1", "true", "on".
[[nodiscard]] bool truthy(const json& value);
// io.resin.* keys renamed io.balena.* (resin-api -> balena-api); values as text.
[[nodiscard]] json normalize_labels(const json& labels, const std::string& pointer);
[[nodiscard]] std::string normalize_label_key(const std::string& key);
// An environment given as an object or a list of NAME=value, as an object of strings.
[[nodiscard]] json environment_object(const json& env, const std::string& pointer);
// A command given as a string (split like a shell would) or a list of strings.
[[nodiscard]] json command_list(const json& command, const std::string& pointer);
// mem_limit and friends: a number of bytes, or "64", "64k", "64kb", "64m", "1g".
[[nodiscard]] std::int64_t memory_bytes(const json& value, const std::string& pointer);
// Compose durations ("1m30s", "10s", "500ms") in nanoseconds.
[[nodiscard]] std::int64_t duration_ns(const json& value, const std::string& pointer);
[[nodiscard]] json string_list(const json& value, const std::string& pointer);
// Removes null, "", [] and {} members of an object (in place).
void drop_empty(json& object);

// ---- ports (ports.cpp)
// Compose port strings, folded into canonical ranges
// ("[HOSTIP:]HOST[-END]:CONTAINER[-END]/PROTO"), sorted.
[[nodiscard]] json normalize_ports(const json& ports, const std::string& pointer);
void ports_to_engine(const json& canonical, json& exposed, json& bindings);
[[nodiscard]] json ports_from_engine(const json& port_bindings);

// ---- volumes (volumes.cpp)
// User volumes namespaced (APPID_NAME), bind mounts dropped, malformed long
// entries ignored.
[[nodiscard]] json normalize_volumes(const json& volumes, std::int64_t app_id, const std::string& pointer);
void volumes_to_engine(const json& volumes, json& binds, json& anonymous, json& mounts);
[[nodiscard]] json volumes_from_engine(const json& binds, const json& config_volumes, const json& mounts);
[[nodiscard]] json tmpfs_list(const json& tmpfs, const std::string& pointer);
// The engine name of an app's volume: APPID_NAME.
[[nodiscard]] inline std::string app_volume_name(std::int64_t app_id, std::string_view name) {
  return fmt::format("{}_{}", app_id, name);
}

// ---- identity of a service
struct Identity {
  std::string service_name;
  std::int64_t app_id = 1;
  std::string app_uuid;
  std::int64_t service_id = 1;
};

// ---- environment (environment.cpp)
// What the supervisor tells every service about itself.
[[nodiscard]] json supervisor_environment(const Identity& id, const ServiceOptions& options);
[[nodiscard]] bool is_device_name_at_init(const std::string& name);

// ---- features (features.cpp)
// Applies io.balena.features.* labels (composition["labels"] must be
// normalized): binds, mounts, environment, device requests, networks.
// `feature_env` receives the variables that win over the user's.
void apply_features(json& composition, json& feature_env, const Identity& id, const ServiceOptions& options);

// ---- services (service_normalize.cpp, service_from_engine.cpp)
[[nodiscard]] json normalize_service_json(const json& service, const ServiceOptions& options);
[[nodiscard]] json service_from_container_json(const json& inspect);
[[nodiscard]] json create_body_json(const json& normalized, const ServiceOptions& options);

}  // namespace reconcile::compose::detail
