// Starts tests/fake_cloud/fake_cloud.py for one test and stops it by pid.
// Control calls go through cpp-httplib, not through the code under test.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace cloud_test {

class FakeCloud {
 public:
  static bool available() { return std::filesystem::exists(CLOUD_TEST_FAKE_CLOUD); }

  // With a certificate and key the fake serves HTTPS (control calls too,
  // without checking the certificate).
  FakeCloud(std::string tls_cert = {}, std::string tls_key = {}) : tls_(!tls_cert.empty()) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      if (tls_cert.empty()) {
        ::execlp(CLOUD_TEST_PYTHON, CLOUD_TEST_PYTHON, CLOUD_TEST_FAKE_CLOUD, "--port", "0", "--host", "127.0.0.1",
                 static_cast<char*>(nullptr));
      } else {
        ::execlp(CLOUD_TEST_PYTHON, CLOUD_TEST_PYTHON, CLOUD_TEST_FAKE_CLOUD, "--port", "0", "--host", "127.0.0.1",
                 "--tls-cert", tls_cert.c_str(), "--tls-key", tls_key.c_str(), static_cast<char*>(nullptr));
      }
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    FILE* out = ::fdopen(pipe_fds[0], "r");
    char line[128] = {};
    const bool got = out != nullptr && std::fgets(line, sizeof line, out) != nullptr;
    if (out != nullptr) std::fclose(out);  // the server prints nothing else
    if (!got || std::sscanf(line, "listening %d", &port_) != 1) {
      stop();
      throw std::runtime_error(fmt::format("fake cloud did not start: {}", line));
    }
    control_ = std::make_unique<httplib::Client>(url());
    control_->enable_server_certificate_verification(false);
  }
  FakeCloud(const FakeCloud&) = delete;
  FakeCloud& operator=(const FakeCloud&) = delete;
  ~FakeCloud() { stop(); }

  [[nodiscard]] std::string url() const { return fmt::format("{}://127.0.0.1:{}", tls_ ? "https" : "http", port_); }

  // A control call; throws on a non-2xx answer so a broken setup is loud.
  nlohmann::json control(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nullptr) {
    const std::string full = fmt::format("/__control/{}", path);
    const std::string text = body.is_null() ? std::string() : body.dump();
    httplib::Result result = method == "GET"      ? control_->Get(full)
                             : method == "DELETE" ? control_->Delete(full)
                             : method == "PATCH"  ? control_->Patch(full, text, "application/json")
                                                  : control_->Post(full, text, "application/json");
    if (!result || result->status >= 300) {
      throw std::runtime_error(fmt::format("control {} {} failed: {}", method, path,
                                           result ? result->body : std::string("no answer")));
    }
    if (result->body.empty()) return nullptr;
    return nlohmann::json::parse(result->body);
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  bool tls_ = false;
  pid_t pid_ = -1;
  int port_ = 0;
  std::unique_ptr<httplib::Client> control_;
};

}  // namespace cloud_test
