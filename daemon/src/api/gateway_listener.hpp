// The API on supervisor0's gateway (10.114.104.1): where the services with
// the supervisor-api feature are told it is (BALENA_SUPERVISOR_ADDRESS). The
// main listener stays on loopback by default; this second one binds once
// the apply loop has made supervisor0 (the address exists only then), so a
// service reaches the API and nothing else on the host's networks does. It
// binds again when supervisor0 is made anew.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "api/server.hpp"
#include "log.hpp"

namespace supervisor::api {

class GatewayListener {
 public:
  // `options.address` is the gateway's address.
  GatewayListener(DeviceApi& device, ServerOptions options, Logger& log);
  ~GatewayListener();
  GatewayListener(const GatewayListener&) = delete;
  GatewayListener& operator=(const GatewayListener&) = delete;

  // Tries to bind at once, then checks every `retry` that it is bound to
  // the supervisor0 there is now, until stop().
  void start(std::chrono::milliseconds retry = std::chrono::seconds(2));
  void stop();
  [[nodiscard]] bool serving() const;

 private:
  void close_server();

  DeviceApi& device_;
  ServerOptions options_;
  Logger& log_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace supervisor::api
