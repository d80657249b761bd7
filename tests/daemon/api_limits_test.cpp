// The local API under clients that hold connections (issue 12 item 6): idle
// TCP connections and open log streams must not take /ping and /v1/healthy
// down. Loopback only; every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "api/server.hpp"
#include "quiet_device.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// A connected loopback socket, closed when it goes.
class Socket {
 public:
  explicit Socket(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    timeval timeout{5, 0};  // no read below waits longer
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  void send(const std::string& text) const {
    REQUIRE(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
  }
  // What arrives until `needle` is in it, the peer closes, or 5 s pass.
  [[nodiscard]] std::string read_until(const std::string& needle) const {
    std::string seen;
    char buffer[4096];
    while (seen.find(needle) == std::string::npos) {
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      seen.append(buffer, static_cast<std::size_t>(got));
    }
    return seen;
  }
  // True when the server closes the connection within 5 s.
  [[nodiscard]] bool closed_by_peer() const {
    char byte = 0;
    return ::recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  int fd_;
};

struct Served {
  supervisor::testing::QuietDevice device;
  supervisor::api::Server server;
  explicit Served(supervisor::api::ServerOptions options) : server(device, std::move(options)) {
    device.local_mode = true;  // log streams without a key
    std::string error;
    REQUIRE(server.start(error));
  }
};

supervisor::api::ServerOptions loopback() {
  supervisor::api::ServerOptions options;
  options.port = 0;
  options.stuck_after = std::chrono::minutes(1);
  return options;
}

// Seconds a GET takes; fails when there is no 200 within 5 s.
double seconds_to_answer(std::uint16_t port, const char* path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(5, 0);
  const auto started = Clock::now();
  const auto answer = client.Get(path);
  REQUIRE(answer);
  CHECK(answer->status == 200);
  return std::chrono::duration<double>(Clock::now() - started).count();
}

std::unique_ptr<Socket> open_log_stream(std::uint16_t port) {
  auto stream = std::make_unique<Socket>(port);
  stream->send("GET /v2/local/logs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const std::string head = stream->read_until("Streaming logs");
  REQUIRE(head.find("200 OK") != std::string::npos);
  return stream;
}

}  // namespace

TEST_CASE("32 idle connections and the open log streams leave /ping and /v1/healthy answering") {
  Served served(loopback());
  const auto port = served.server.port();
  std::vector<std::unique_ptr<Socket>> held;
  for (std::size_t i = 0; i < loopback().max_log_streams; ++i) held.push_back(open_log_stream(port));
  for (int i = 0; i < 32; ++i) held.push_back(std::make_unique<Socket>(port));  // sends nothing

  // Before the pool, cpp-httplib's 8 threads were all taken here: no answer.
  CHECK(seconds_to_answer(port, "/ping") < 3.0);
  CHECK(seconds_to_answer(port, "/v1/healthy") < 3.0);
  CHECK(seconds_to_answer(port, "/v2/version") < 3.0);
}

TEST_CASE("a log stream beyond the limit is refused, and its slot comes back when a stream ends") {
  auto options = loopback();
  options.max_log_streams = 2;
  Served served(options);
  const auto port = served.server.port();
  auto first = open_log_stream(port);
  auto second = open_log_stream(port);

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5, 0);
  const auto refused = client.Get("/v2/local/logs");
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(nlohmann::json::parse(refused->body)["message"] == "Too many log streams open (at most 2)");

  first.reset();  // the server notices within its 0.5 s poll and frees the slot
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  bool reopened = false;
  while (!reopened && Clock::now() < deadline) {
    Socket third(port);
    third.send("GET /v2/local/logs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    reopened = third.read_until("\r\n").find("200 OK") != std::string::npos;
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(reopened);
}

TEST_CASE("a connection that sends nothing is closed after the idle timeout") {
  auto options = loopback();
  options.idle_timeout = std::chrono::seconds(1);
  Served served(options);
  const Socket idle(served.server.port());
  const auto started = Clock::now();
  CHECK(idle.closed_by_peer());
  CHECK(Clock::now() - started < std::chrono::seconds(4));
}

TEST_CASE("beyond the connection limit a request waits only until an idle connection times out") {
  auto options = loopback();
  options.max_connections = 4;
  options.idle_timeout = std::chrono::seconds(1);
  Served served(options);
  const auto port = served.server.port();
  std::vector<std::unique_ptr<Socket>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(std::make_unique<Socket>(port));
  CHECK(seconds_to_answer(port, "/ping") < 4.0);
}
