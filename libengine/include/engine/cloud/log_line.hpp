// One line of the cloud log stream (cloud-protocol §6.2) and its NDJSON
// form. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace engine::cloud {

// Longest message sent: longer ones keep their first 9995 characters and end
// in "[...]" (§6.2).
inline constexpr std::size_t kLogMessageLimit = 10000;

// Where a container line was read from, so that a restart can resume each
// container after the last line the cloud took. Not sent.
struct LogOrigin {
  std::string container_id;
  std::int64_t engine_time_ns = 0;  // the engine's timestamp of the line
  friend bool operator==(const LogOrigin&, const LogOrigin&) = default;
};

struct LogLine {
  std::string message;
  std::int64_t timestamp_ms = 0;
  // A supervisor line (true) or a container's (false, with a service id).
  bool is_system = false;
  bool is_stderr = false;
  std::optional<std::int64_t> service_id;  // container lines only
  std::optional<LogOrigin> origin;         // container lines read from the engine
  friend bool operator==(const LogLine&, const LogLine&) = default;
};

// `message` cut to kLogMessageLimit characters (Unicode code points, never
// splitting a UTF-8 sequence), as §6.2 says.
[[nodiscard]] std::string truncate_log_message(std::string_view message);

// The line as sent, with its "\n", in the key order of the captures (31):
//   {"message":..,"isSystem":true,"timestamp":..}                    system
//   {"message":..,"timestamp":..,"isSystem":true,"isStdErr":true}    system error
//   {"message":..,"isStdErr":false,"timestamp":..,"serviceId":..}    container
[[nodiscard]] std::string log_line_json(const LogLine& line);

// The warning balena writes once the buffer has room again (§6.4).
[[nodiscard]] LogLine suppressed_line(std::int64_t count, std::int64_t timestamp_ms);

}  // namespace engine::cloud
