// The local HTTP API (balena supervisor compatible, see
// shared/reference/local-api.md and docs/local-api.md), on cpp-httplib.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "api/device_api.hpp"

namespace httplib {
class Server;
}

namespace supervisor::api {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 48484;  // 0: any free port (tests)
  // /v1/healthy turns unhealthy when an apply has made no progress (no batch
  // finished, no pull moved) for this long.
  std::chrono::milliseconds stuck_after{std::chrono::minutes(30)};
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

 private:
  void routes();

  DeviceApi& device_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
};

}  // namespace supervisor::api
