// Structured logging: one line per event on stderr, as
//   2026-11-25T09:00:00.123Z info step action=fetch app=1 service=api progress=42
// (logfmt: key=value, values quoted when they hold spaces), and the same
// events handed to subscribers (the local API's /v2/local/logs stream).
// Lines below the threshold are not written; subscribers get every event
// and choose for themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace supervisor {

enum class Level { Debug, Info, Warn, Error };

// A service's BALENA_LOGS_LEVEL (cloud-protocol §6.2): which of its lines go
// to the cloud.
enum class ServiceLogsLevel { All, ErrorsOnly, None };

struct LogEvent {
  std::int64_t timestamp_ms = 0;
  Level level = Level::Info;
  std::string event;                                      // short name: "step", "apply", ...
  std::vector<std::pair<std::string, std::string>> fields;
  std::string message;                                    // readable sentence for people
  // The balena supervisor's system line for this event ("Installing service
  // 'web example/web:1'"): what the log streams show; empty for the daemon's
  // internal events.
  std::string system_text;
  // A line of a container's output (not the supervisor's own event).
  bool from_container = false;
  bool is_stderr = false;
  std::string service_name;
  std::int64_t service_id = 0;
  // Container lines: where the line was read, the engine's time of it (a
  // restart resumes each container from there) and the service's
  // BALENA_LOGS_LEVEL.
  std::string container_id;
  std::int64_t engine_time_ns = 0;
  ServiceLogsLevel logs_level = ServiceLogsLevel::All;
};

// A line of a container's output, as the log followers read it.
struct ContainerLine {
  std::string service_name;
  std::int64_t service_id = 0;
  bool is_stderr = false;
  std::string message;
  std::string container_id;
  std::int64_t engine_time_ns = 0;  // 0: unknown (the line is stamped now)
  ServiceLogsLevel logs_level = ServiceLogsLevel::All;
};

class Logger {
 public:
  using Field = std::pair<std::string_view, std::string>;
  using Subscriber = std::function<void(const LogEvent&)>;
  // Where the lines at or above the threshold go (without the newline);
  // default stderr. Tests pass their own.
  using Sink = std::function<void(std::string_view line)>;

  explicit Logger(Level threshold = Level::Info, Sink sink = nullptr);

  // The level the daemon was started with (configuration file, environment),
  // and a level that wins over it while set (the cloud's
  // SUPERVISOR_LOG_LEVEL); nullopt returns to the configured one.
  void set_threshold(Level threshold);
  void set_override(std::optional<Level> threshold);
  [[nodiscard]] Level threshold();

  void log(Level level, std::string_view event, std::string message, std::initializer_list<Field> fields = {});
  void info(std::string_view event, std::string message, std::initializer_list<Field> fields = {}) {
    log(Level::Info, event, std::move(message), fields);
  }
  void warn(std::string_view event, std::string message, std::initializer_list<Field> fields = {}) {
    log(Level::Warn, event, std::move(message), fields);
  }
  void error(std::string_view event, std::string message, std::initializer_list<Field> fields = {}) {
    log(Level::Error, event, std::move(message), fields);
  }

  // An event that is also one of balena's system lines (`system_text`, see
  // LogEvent): written as any event, shown as that line in the log streams.
  void system(Level level, std::string_view event, std::string message, std::string system_text,
              std::initializer_list<Field> fields = {});

  // A container's output line: handed to subscribers only (the daemon's own
  // stderr carries the supervisor's events, not the services' output).
  void container_line(ContainerLine line);

  // Returns an id for unsubscribe(). Subscribers run on the logging thread
  // and must not block.
  std::uint64_t subscribe(Subscriber subscriber);
  void unsubscribe(std::uint64_t id);

  // The line written for an event (without the newline).
  [[nodiscard]] static std::string format(const LogEvent& event);

 private:
  void emit(LogEvent entry);

  std::mutex mutex_;
  Level threshold_;
  std::optional<Level> override_;
  Sink sink_;
  std::uint64_t next_id_ = 1;
  std::vector<std::pair<std::uint64_t, Subscriber>> subscribers_;
};

[[nodiscard]] const char* to_string(Level level);
// "debug", "info", "warn" (or "warning"), "error", any case; nullopt else.
[[nodiscard]] std::optional<Level> parse_level(std::string_view text);
[[nodiscard]] std::int64_t now_ms();

}  // namespace supervisor
