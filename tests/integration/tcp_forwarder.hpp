// A loopback TCP listener that forwards each connection to the engine's unix
// socket, so the client's tcp:// DOCKER_HOST path is tested against the real
// engine without reconfiguring it. Test-only; one thread, poll(2).
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace testenv {

class TcpForwarder {
 public:
  explicit TcpForwarder(std::string unix_socket_path);
  ~TcpForwarder();
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

  // "127.0.0.1:<port>"
  [[nodiscard]] std::string address() const;

 private:
  void serve();
  void pump(int client);

  std::string socket_path_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace testenv
