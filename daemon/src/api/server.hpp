// The local HTTP API (balena supervisor compatible, see
// shared/reference/local-api.md and docs/local-api.md), on cpp-httplib.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "api/device_api.hpp"

namespace httplib {
class Server;
}

namespace supervisor::api {

class HttpServer;

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 48484;  // 0: any free port (tests)
  // /v1/healthy turns unhealthy when an apply has made no progress (no batch
  // finished, no pull moved) for this long.
  std::chrono::milliseconds stuck_after{std::chrono::minutes(30)};
  // Connections served at once; more wait for one to finish. Each holds a
  // thread while it is open (cpp-httplib's model), so this bounds the
  // threads; well above what idle clients and log streams may hold.
  std::size_t max_connections = 64;
  // Open GET /v2/local/logs streams; one more is refused with 503. A stream
  // holds its connection's thread, so these come out of max_connections
  // and can never take all of it.
  std::size_t max_log_streams = 8;
  // How long a connection may sit without sending a request (first or next
  // on a kept-alive connection) or in the middle of one before it is closed,
  // and how long an answer may wait for a client that does not read.
  std::chrono::seconds idle_timeout{5};
  // Connections the kernel queues until the server accepts them.
  int listen_backlog = 128;
  // When set, only packets that arrive on this interface reach the socket
  // (SO_BINDTODEVICE): supervisor0's listener is not reachable through the
  // host's other networks, whatever their routes.
  std::string interface{};
};

// The HTTP status of a failed action: what the error's kind means to a client.
[[nodiscard]] int http_status_of(engine::ErrorKind kind);

class Server {
 public:
  Server(DeviceApi& device, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and serves on a thread of its own; false (with `error`) when the
  // address cannot be bound.
  [[nodiscard]] bool start(std::string& error);
  void stop();
  [[nodiscard]] std::uint16_t port() const { return port_; }

  // One raw HTTP/1.1 request (request line, headers, body) through the same
  // parsing, key check, routes and limits as a connection, without a socket
  // and without start(); returns the raw answer. A streamed answer (the log
  // streams) ends after its headers. For the local API's fuzz target.
  [[nodiscard]] std::string answer_raw(std::string_view request);

 private:
  void routes();

  DeviceApi& device_;
  ServerOptions options_;
  std::unique_ptr<HttpServer> http_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> log_streams_{0};
};

}  // namespace supervisor::api
