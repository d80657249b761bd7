// An in-process HTTP(S) server on 127.0.0.1 for the transport tests.
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace cloud_test {

class TestServer {
 public:
  TestServer() : server_(std::make_unique<httplib::Server>()) {}
  // HTTPS with the given certificate and key files.
  TestServer(const std::string& cert, const std::string& key)
      : server_(std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str())) {
    if (!server_->is_valid()) throw std::runtime_error("SSLServer: bad certificate or key");
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer() { stop(); }

  httplib::Server& routes() { return *server_; }

  void start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("bind failed");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  void stop() {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const char* scheme = "http") const {
    return fmt::format("{}://127.0.0.1:{}", scheme, port_);
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace cloud_test
