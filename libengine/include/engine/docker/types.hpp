// Value types the Docker client returns and takes. Only the fields callers
// branch on are typed; every inspect/list result also keeps the engine's whole
// JSON document in `raw` (parse it with engine/docker/json.hpp) so the
// snapshot can rebuild a service's config without another call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine::docker {

using Labels = std::map<std::string, std::string>;

// Engine list filters, e.g. {"label": {"io.balena.supervised", "a=b"}}.
// Sent as the `filters` query parameter.
using Filters = std::map<std::string, std::vector<std::string>>;

// Set (from any thread) to abandon a pull or end an event stream. The client
// polls it at least once a second while a transfer runs. Same type as
// engine::CancelFlag in engine/exec/ports.hpp.
using CancelFlag = std::atomic<bool>;

// A JSON request body as text (build it with nlohmann::json and dump(), or
// use the overloads in engine/docker/json.hpp).
struct JsonBody {
  std::string text;
};

// --- containers -------------------------------------------------------------

enum class ListScope { running_only, all };
enum class RemoveVolumes { keep, remove };  // ?v=1: anonymous volumes too
enum class Force { no, yes };
// What a start did: the engine answers 304 for a container that runs already.
enum class StartOutcome { started, already_running };

struct ContainerSummary {  // one entry of GET /containers/json
  std::string id;
  std::string name;  // without the leading '/'
  std::string image;
  std::string image_id;
  std::string state;  // created, running, exited, paused, restarting, removing, dead
  Labels labels;
  std::int64_t created = 0;  // unix seconds
  std::string raw;
};

struct ContainerInfo {  // GET /containers/{id}/json
  std::string id;
  std::string name;      // without the leading '/'
  std::string image_id;  // "sha256:..."
  std::string status;    // State.Status
  bool running = false;
  int exit_code = 0;
  std::string started_at;   // RFC 3339, as the engine wrote it
  std::string finished_at;  // RFC 3339, as the engine wrote it
  Labels labels;            // Config.Labels
  std::string restart_policy;  // HostConfig.RestartPolicy.Name ("" = no)
  std::string raw;
};

struct RestartPolicy {
  std::string name;  // "", "no", "always", "unless-stopped", "on-failure"
  int maximum_retry_count = 0;
};

// --- images -----------------------------------------------------------------

struct ImageSummary {  // one entry of GET /images/json
  std::string id;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  Labels labels;
  std::int64_t size = 0;
  std::string raw;
};

struct ImageInfo {  // GET /images/{name}/json
  std::string id;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  Labels labels;  // Config.Labels
  std::int64_t size = 0;
  std::string raw;
};

// Credentials for X-Registry-Auth: either username/password(/server_address)
// or an identity token from a delta server (registry_token).
struct RegistryAuth {
  std::string username;
  std::string password;
  std::string server_address;
  std::string registry_token;
};

// One message of the pull stream, plus the client's estimate of the whole
// pull: `percent` averages every layer seen so far (a finished or
// already-present layer counts 100, a downloading one current/total), or is
// -1 before any layer is known.
struct PullProgress {
  std::string status;  // "Downloading", "Pull complete", "Already exists", ...
  std::string layer;   // the message's id, usually a layer; may be empty
  std::int64_t current = 0;
  std::int64_t total = 0;
  int percent = -1;
  std::string raw;
};
using PullProgressFn = std::function<void(const PullProgress&)>;

struct PullOptions {
  std::optional<RegistryAuth> auth;
  // A pull may take long on a slow link: it fails only when no byte arrives
  // for `stall_timeout`, or when it runs longer than `timeout` in all.
  std::chrono::seconds stall_timeout{std::chrono::minutes(5)};
  std::chrono::seconds timeout{std::chrono::hours(6)};
};

// --- networks and volumes ---------------------------------------------------

struct NetworkInfo {  // GET /networks/{id} or an entry of GET /networks
  std::string id;
  std::string name;
  std::string driver;
  Labels labels;
  std::string raw;
};

struct VolumeInfo {  // GET /volumes/{name} or an entry of GET /volumes
  std::string name;
  std::string driver;
  std::string mountpoint;
  Labels labels;
  std::string raw;
};

// --- events -----------------------------------------------------------------

struct Event {
  std::string type;      // container, image, network, volume, ...
  std::string action;    // start, die, destroy, create, ...
  std::string actor_id;  // Actor.ID: the container id, network id, volume name...
  Labels attributes;     // Actor.Attributes: the object's labels, name, image...
  std::int64_t time_nano = 0;
  std::string raw;
};
using EventFn = std::function<void(const Event&)>;

struct EventOptions {
  Filters filters;  // e.g. {"type": {"container"}}
  // Replay events from this unix time (seconds, may be fractional) before
  // streaming new ones; lets a caller subscribe after acting without a race.
  std::optional<double> since;
  // Stop on your own after this long; zero means only the cancel flag ends it.
  std::chrono::milliseconds max_duration{0};
};

// --- container logs ---------------------------------------------------------

enum class OutputStream { stdout_stream, stderr_stream };
// One line of a container's output, without its newline.
using LogLineFn = std::function<void(OutputStream stream, std::string_view line)>;

struct LogOptions {
  bool follow = true;                  // keep streaming until the container stops
  std::optional<std::int64_t> since;   // unix seconds; absent: from the start
  std::optional<std::int64_t> since_ns;  // unix nanoseconds; wins over `since`
  // Each line starts with the engine's time of it (RFC 3339 with
  // nanoseconds) and a space: what resuming after a restart is measured by.
  bool timestamps = false;
  // A container created with Tty sends its output raw; otherwise the engine
  // frames it (8-byte headers naming stdout or stderr).
  bool tty = true;
  std::chrono::milliseconds max_duration{0};  // 0: only the end or the cancel flag
};

}  // namespace engine::docker
