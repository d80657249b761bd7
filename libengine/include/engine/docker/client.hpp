// A client for the Docker Engine API (balenaEngine speaks the same API), over
// libcurl. One method per engine call; no retries and no planning: callers
// decide what an error means. Every call has a time limit and returns a
// Result/Status naming the call that failed, its HTTP status and the
// engine's message; 404s come back as ErrorKind::not_found.
//
// Thread-safety: a Client is immutable after construction and every call uses
// its own connection, so one Client may serve many threads at once.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/docker/result.hpp"
#include "engine/docker/types.hpp"

namespace engine::docker {

// Where the engine listens, from DOCKER_HOST.
struct Endpoint {
  enum class Kind { unix_socket, tcp };
  Kind kind = Kind::unix_socket;
  std::string socket_path;  // unix_socket: e.g. /var/run/docker.sock
  std::string host_port;    // tcp: e.g. 127.0.0.1:2375
};

// Accepts "unix:///path" and "tcp://host:port" (no TLS); empty means the
// default unix:///var/run/docker.sock.
[[nodiscard]] Result<Endpoint> parse_docker_host(std::string_view docker_host);

struct ClientOptions {
  Endpoint endpoint;  // default: /var/run/docker.sock
  // Paths are prefixed with /<api_version>. 1.41 is the API of Docker 20.10
  // and balenaEngine 20.10, and is accepted by every newer engine.
  std::string api_version = "v1.41";
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  // Limit for an ordinary call (everything but pulls, events, stop and kill).
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};
};

// Options from the environment: DOCKER_HOST (or the default socket).
[[nodiscard]] Result<ClientOptions> options_from_environment();

class Client {
 public:
  explicit Client(ClientOptions options);

  [[nodiscard]] const ClientOptions& options() const { return options_; }

  // GET /_ping: ok when the engine answers "OK".
  [[nodiscard]] Status ping() const;

  // --- containers -----------------------------------------------------------
  // POST /containers/create?name=: returns the new container's id. `body` is
  // the engine's ContainerConfig with HostConfig and NetworkingConfig.
  [[nodiscard]] Result<std::string> create_container(const std::string& name,
                                                     const JsonBody& body) const;
  // POST /containers/{id}/start; already running (304) is success.
  [[nodiscard]] Status start_container(const std::string& id) const;
  // The same, saying whether the engine started the container or answered
  // that it runs already (304): a caller that believed it stopped learns that
  // the engine's views of it disagree.
  [[nodiscard]] Result<StartOutcome> start_container_reporting(const std::string& id) const;
  // POST /containers/{id}/stop?t=; already stopped (304) is success. Without
  // `timeout` the engine uses the container's StopTimeout (default 10 s); the
  // call itself may take that long plus request_timeout (a 10 minute stop
  // timeout is assumed when none is given).
  [[nodiscard]] Status stop_container(const std::string& id,
                                      std::optional<std::chrono::seconds> timeout) const;
  // POST /containers/{id}/kill?signal= (default SIGKILL).
  [[nodiscard]] Status kill_container(const std::string& id,
                                      const std::string& signal = "") const;
  // DELETE /containers/{id}?v=&force=.
  [[nodiscard]] Status remove_container(const std::string& id, RemoveVolumes volumes,
                                        Force force) const;
  // POST /containers/{id}/rename?name=.
  [[nodiscard]] Status rename_container(const std::string& id,
                                        const std::string& new_name) const;
  // POST /containers/{id}/update with {"RestartPolicy": ...}; an empty policy
  // name clears it (sent as "no": the engine ignores an empty name), as
  // before a handover.
  [[nodiscard]] Status update_restart_policy(const std::string& id,
                                             const RestartPolicy& policy) const;
  // POST /containers/{id}/update with any update body.
  [[nodiscard]] Status update_container(const std::string& id, const JsonBody& body) const;
  // GET /containers/{id}/json.
  [[nodiscard]] Result<ContainerInfo> inspect_container(const std::string& id) const;
  // GET /containers/json?all=&filters=.
  [[nodiscard]] Result<std::vector<ContainerSummary>> list_containers(
      const Filters& filters, ListScope scope) const;

  // --- images ---------------------------------------------------------------
  // POST /images/create?fromImage=&tag=: pulls one reference ("repo:tag",
  // "repo@digest"; no tag means :latest, never every tag), delivering each
  // progress message to `progress` (may be empty) on the calling thread.
  // Returns when the pull ends; an error message in the stream, a stall, the
  // time limit or `cancel` make it fail. `cancel` may be null.
  [[nodiscard]] Status pull_image(const std::string& reference, const PullOptions& options,
                                  const PullProgressFn& progress,
                                  const CancelFlag* cancel) const;
  // GET /images/{name}/json.
  [[nodiscard]] Result<ImageInfo> inspect_image(const std::string& name) const;
  // GET /images/json?digests=1&filters=.
  [[nodiscard]] Result<std::vector<ImageSummary>> list_images(const Filters& filters) const;
  // POST /images/{name}/tag?repo=&tag=.
  [[nodiscard]] Status tag_image(const std::string& name, const std::string& repo,
                                 const std::string& tag) const;
  // DELETE /images/{name}?force=: removes one tag, or the image when it was
  // the last reference.
  [[nodiscard]] Status remove_image(const std::string& name, Force force) const;

  // --- networks -------------------------------------------------------------
  // POST /networks/create: `body` holds Name, Driver, Labels, IPAM...; returns
  // the network's id.
  [[nodiscard]] Result<std::string> create_network(const JsonBody& body) const;
  // GET /networks/{id}.
  [[nodiscard]] Result<NetworkInfo> inspect_network(const std::string& id) const;
  // GET /networks?filters=.
  [[nodiscard]] Result<std::vector<NetworkInfo>> list_networks(const Filters& filters) const;
  // POST /networks/{id}/connect: `endpoint_config` is the EndpointConfig
  // (Aliases, IPAMConfig...) or empty.
  [[nodiscard]] Status connect_network(const std::string& network, const std::string& container,
                                       const JsonBody& endpoint_config) const;
  // DELETE /networks/{id}.
  [[nodiscard]] Status remove_network(const std::string& id) const;

  // --- volumes --------------------------------------------------------------
  // POST /volumes/create: `body` holds Name, Driver, DriverOpts, Labels.
  [[nodiscard]] Result<VolumeInfo> create_volume(const JsonBody& body) const;
  // GET /volumes/{name}.
  [[nodiscard]] Result<VolumeInfo> inspect_volume(const std::string& name) const;
  // GET /volumes?filters=.
  [[nodiscard]] Result<std::vector<VolumeInfo>> list_volumes(const Filters& filters) const;
  // DELETE /volumes/{name}?force=.
  [[nodiscard]] Status remove_volume(const std::string& name, Force force) const;

  // --- events ---------------------------------------------------------------
  // GET /events: delivers each event to `on_event` on the calling thread until
  // `cancel` is set (then returns ok), options.max_duration passes (ok), or
  // the stream fails (error). Blocks; run it on its own thread.
  [[nodiscard]] Status stream_events(const EventOptions& options, const EventFn& on_event,
                                     const CancelFlag* cancel) const;

  // --- container output -----------------------------------------------------
  // GET /containers/{id}/logs: delivers each output line to `on_line` on the
  // calling thread until the container stops (follow), `cancel` is set (ok),
  // or options.max_duration passes (ok). Blocks; run it on its own thread.
  [[nodiscard]] Status stream_logs(const std::string& id, const LogOptions& options, const LogLineFn& on_line,
                                   const CancelFlag* cancel) const;

 private:
  ClientOptions options_;
};

}  // namespace engine::docker
