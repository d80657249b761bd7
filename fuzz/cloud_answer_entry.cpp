// The cloud's answers through the real transport (libcurl, our header and
// body handling) and the real calls, from a loopback server that answers
// every request with the fuzzer's bytes. No mock of the client: what the
// daemon does with a hostile or broken API is what is fuzzed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "engine/cloud/json.hpp"
#include "engine/cloud/provision.hpp"
#include "engine/cloud/target_poll.hpp"
#include "engine_entry_points.hpp"

namespace reconcile::fuzz {
namespace {

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "{}\n", what);
  std::abort();
}

// A socket listening on 127.0.0.1, made once for the process.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail("cannot make a socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      fail("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() { ::close(fd_); }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

bool readable(int fd, int timeout_ms) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, timeout_ms) > 0;
}

// Accepts one connection, reads the request (headers, then Content-Length
// bytes of body) so that closing does not reset the connection under the
// answer, writes `answer` and closes.
void answer_once(int listener, std::string_view answer) {
  if (!readable(listener, 5000)) return;  // the client gave up before connecting
  const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  std::string request;
  std::size_t wanted = std::string::npos;
  char buffer[4096];
  while (request.size() < wanted && readable(fd, 2000)) {
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    request.append(buffer, static_cast<std::size_t>(got));
    const auto end = request.find("\r\n\r\n");
    if (wanted == std::string::npos && end != std::string::npos) {
      std::size_t length = 0;
      const auto header = request.find("Content-Length: ");
      if (header != std::string::npos && header < end) length = std::strtoul(request.c_str() + header + 16, nullptr, 10);
      wanted = end + 4 + length;
    }
  }
  for (std::size_t sent = 0; sent < answer.size();) {
    const ssize_t n = ::send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

template <class Call>
auto exchange(const Listener& listener, std::string_view answer, Call&& call) {
  std::thread server(answer_once, listener.fd(), answer);
  auto result = call();
  server.join();
  return result;
}

template <class T>
void check_failure(const engine::cloud::Result<T>& result, const char* call) {
  if (result) return;
  const auto& error = result.error();
  if (error.describe().empty() || error.call.empty()) fail(fmt::format("{}: a failure that says nothing", call));
  if (error.kind == engine::cloud::ErrorKind::HttpStatus && error.http_status == 0) {
    fail(fmt::format("{}: an HttpStatus error without a status: {}", call, error.describe()));
  }
}

}  // namespace

void cloud_answer(std::string_view input) {
  static const Listener listener;
  static engine::cloud::HttpClient api = [] {
    engine::cloud::HttpOptions options;
    options.base_url = fmt::format("http://127.0.0.1:{}", listener.port());
    options.connect_timeout = std::chrono::milliseconds(2000);
    options.total_timeout = std::chrono::milliseconds(3000);
    auto client = engine::cloud::HttpClient::create(options);
    if (!client) fail("cannot make the HTTP client: " + client.error().describe());
    return std::move(client).value();
  }();
  const std::string uuid = "0123456789abcdef0123456789abcdef";

  for (const bool cached : {false, true}) {
    engine::cloud::PollRequest request{uuid, "devicekey", std::nullopt};
    if (cached) request.etag = "\"etag-1\"";
    const auto polled = exchange(listener, input, [&] { return engine::cloud::poll_target_state(api, request); });
    check_failure(polled, "poll");
    if (!polled) continue;
    if (const auto* fresh = std::get_if<engine::cloud::NewTarget>(&polled.value())) {
      // The device the body is for, so that a captured target reaches past
      // the uuid check into the target's reader.
      const auto body = nlohmann::json::parse(fresh->body, nullptr, /*allow_exceptions=*/false);
      const std::string device = body.is_object() && !body.empty() ? body.begin().key() : uuid;
      const auto target = engine::cloud::parse_target(*fresh, device);
      check_failure(target, "parse target");
      if (target) (void)engine::cloud::poll_interval_from_config(target.value().config, std::chrono::minutes(15));
    } else if (!cached) {
      fail("a 304 taken as not modified with no ETag sent");
    }
  }

  engine::cloud::RegisterRequest registration{"provisioningkey", 1, uuid, "devicekey", {"generic-amd64", {}, {}, {}, {}}};
  const auto registered =
      exchange(listener, input, [&] { return engine::cloud::register_device(api, registration); });
  check_failure(registered, "register");

  const auto looked_up =
      exchange(listener, input, [&] { return engine::cloud::lookup_device_id(api, uuid, "devicekey"); });
  check_failure(looked_up, "lookup");
}

}  // namespace reconcile::fuzz
