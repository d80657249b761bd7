// What the store keeps, as value types. Apps and images are libreconcile's
// own types; the rest is the store's.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "reconcile/model.hpp"

namespace engine::store {

// The whole target: device-level fields and the apps. Stored and replaced
// as one unit (one transaction), so a reboot without network runs the
// release the device last accepted, never half of two.
struct Target {
  std::string device_name;                           // "" when the target names none
  std::map<std::string, std::string> device_config;  // config vars, without BALENA_/RESIN_
  reconcile::State state;                            // the target apps

  friend bool operator==(const Target&, const Target&) = default;
};

// Whose API key: the device-wide key (app 0, no service) or the key of one
// service that has the supervisor-api feature.
struct ApiKeyOwner {
  reconcile::AppId app_id = 0;
  std::string service_name;  // "" for the global key

  [[nodiscard]] static ApiKeyOwner global() { return {}; }
  [[nodiscard]] static ApiKeyOwner service(reconcile::AppId app, std::string name) {
    return {app, std::move(name)};
  }
  [[nodiscard]] bool is_global() const { return app_id == 0 && service_name.empty(); }

  friend bool operator==(const ApiKeyOwner&, const ApiKeyOwner&) = default;
  friend auto operator<=>(const ApiKeyOwner&, const ApiKeyOwner&) = default;
};

// What a key may act on, as balena scopes it: every app, or one app.
enum class ScopeType { Global, App };

struct ApiScope {
  ScopeType type = ScopeType::Global;
  reconcile::AppId app_id = 0;  // ScopeType::App only

  friend bool operator==(const ApiScope&, const ApiScope&) = default;
  friend auto operator<=>(const ApiScope&, const ApiScope&) = default;
};

struct ApiKey {
  ApiKeyOwner owner;
  std::string key;  // the secret itself; unique across owners
  std::vector<ApiScope> scopes;

  friend bool operator==(const ApiKey&, const ApiKey&) = default;
};

// Where a log line came from.
enum class LogStream { System, Stdout, Stderr };

struct LogEntry {
  std::int64_t timestamp_ms = 0;  // milliseconds since the Unix epoch, UTC
  reconcile::AppId app_id = 0;    // 0: the supervisor's own message
  std::string service_name;       // "" for system messages
  LogStream stream = LogStream::System;
  std::string message;

  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

// A line of the cloud log stream spilled to the log table while the cloud
// was away (docs/logs.md): the entry, plus what the stream sends and what a
// restart resumes from.
struct SpilledLog {
  LogEntry entry;
  std::int64_t service_id = 0;     // the balena service id; 0 for system lines
  std::string container_id;        // "" for system lines
  std::int64_t engine_time_ns = 0;  // the engine's time of a container line

  friend bool operator==(const SpilledLog&, const SpilledLog&) = default;
};

struct SpilledLogRecord {
  std::int64_t seq = 0;
  SpilledLog line;

  friend bool operator==(const SpilledLogRecord&, const SpilledLogRecord&) = default;
};

// A stored log line and its sequence number: increasing, never reused, so a
// reader can ask for everything after the last one it saw.
struct LogRecord {
  std::int64_t seq = 0;
  LogEntry entry;

  friend bool operator==(const LogRecord&, const LogRecord&) = default;
};

}  // namespace engine::store
