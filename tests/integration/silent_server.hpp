// A loopback TCP server that accepts connections and never answers: an engine
// that hangs, for testing the client's time limits. Test-only.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace testenv {

class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  // "tcp://127.0.0.1:<port>"
  [[nodiscard]] std::string docker_host() const;

 private:
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> held_;  // accepted connections, kept open until the end
  std::thread thread_;
};

}  // namespace testenv
