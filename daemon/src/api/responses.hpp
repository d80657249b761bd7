// The bodies of the local API's answers, and the small request helpers they
// share (body parsing, the API's truthy flags and integer ids).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/device_api.hpp"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace supervisor::api {

void send_json(httplib::Response& response, int status, const nlohmann::json& body);
// {"status": "failed", "message": ...}
void send_failure(httplib::Response& response, int status, const std::string& message);

// A JSON object body, or {} when there is none. A malformed body answers
// 400 naming the problem and returns false.
[[nodiscard]] bool parse_body(const httplib::Request& request, httplib::Response& response, nlohmann::json& out);
// true, 1, "true", "1", "on" (case-insensitive) are true; anything else false.
[[nodiscard]] bool truthy(const nlohmann::json& body, const char* key);
// A decimal integer id, as a number or a string; nullopt otherwise.
[[nodiscard]] std::optional<std::int64_t> integer_id(const nlohmann::json& value);

[[nodiscard]] bool apply_is_stuck(const ApplyStatus& status, std::chrono::milliseconds stuck_after);

[[nodiscard]] nlohmann::json v1_device(DeviceApi& device);
[[nodiscard]] nlohmann::json local_target_json(DeviceApi& device);
// The listing answers show only what `scope` allows (local-api.md §2.4, "F").
void send_state_status(DeviceApi& device, const KeyScope& scope, httplib::Response& response);
void send_applications_state(DeviceApi& device, const KeyScope& scope, httplib::Response& response);
void send_container_ids(DeviceApi& device, const KeyScope& scope, const std::string& service,
                        httplib::Response& response);
// GET /v2/applications/:appId/state (the caller checked the scope).
void send_app_state(DeviceApi& device, std::int64_t app_id, httplib::Response& response);
// NDJSON of log events until the client goes or the server stops. `hold`
// is kept until the stream ends (the server counts open streams with it).
void stream_logs(Logger& log, const std::atomic<bool>& stopping, httplib::Response& response,
                 std::shared_ptr<void> hold = nullptr);

}  // namespace supervisor::api
