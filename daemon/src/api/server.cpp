#include "api/server.hpp"

#include <httplib.h>

#include <fmt/format.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <regex>
#include <string_view>

#include "api/connection_pool.hpp"
#include "api/request_auth.hpp"
#include "api/request_log.hpp"
#include "api/responses.hpp"
#include "api/routes.hpp"

namespace supervisor::api {
namespace {

using nlohmann::json;

bool open_endpoint(const std::string& path) { return path == "/ping" || path == "/v1/healthy"; }

// When the request this thread serves reached routing. httplib serves a
// connection's requests one after another on one thread, and calls the
// logger on it once the answer is written, so a thread-local is enough.
thread_local std::optional<std::chrono::steady_clock::time_point> request_started;

// The key from ?apikey= (wins) or "Authorization: Bearer|ApiKey <key>".
std::string presented_key(const httplib::Request& request) {
  if (request.has_param("apikey")) return request.get_param_value("apikey");
  static const std::regex header(R"(^(?:[Bb][Ee][Aa][Rr][Ee][Rr]|[Aa][Pp][Ii][Kk][Ee][Yy]) ([A-Za-z0-9_]+)$)");
  std::smatch match;
  const std::string value = request.get_header_value("Authorization");
  if (std::regex_match(value, match, header)) return match[1];
  return "";
}

// One request's bytes in, the answer's bytes out: a connection without a
// socket, for Server::answer_raw. It says it is not writable, which ends a
// streamed (chunked) answer after its headers; every other answer is
// written whole.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view request) : request_(request) {}

  bool is_readable() const override { return true; }
  bool is_writable() const override { return false; }
  ssize_t read(char* ptr, size_t size) override {
    const std::size_t n = std::min(size, request_.size() - position_);
    std::memcpy(ptr, request_.data() + position_, n);
    position_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    answer_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override { get_remote_ip_and_port(ip, port); }
  socket_t socket() const override { return INVALID_SOCKET; }

  [[nodiscard]] std::string take_answer() { return std::move(answer_); }

 private:
  std::string_view request_;
  std::size_t position_ = 0;
  std::string answer_;
};

}  // namespace

// httplib 0.11 listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed
// when Debian built the library): a burst of connections arriving while the
// accept thread waits for a core overflows it, and the client's kernel
// resends a dropped SYN only after 1 s, then 2 s more. Listening again on
// the bound socket sets a larger backlog.
class HttpServer : public httplib::Server {
 public:
  // The whole of one exchange, as a connection that asks to close after it.
  [[nodiscard]] std::string answer(std::string_view request) {
    MemoryStream stream(request);
    bool closed = false;
    (void)process_request(stream, true, closed, {});
    return stream.take_answer();
  }
  [[nodiscard]] bool set_backlog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
  // Whether the socket only takes packets from `interface` (SO_BINDTODEVICE).
  [[nodiscard]] bool bound_to(const std::string& interface) const {
    char name[64] = {};
    socklen_t size = sizeof name;
    if (::getsockopt(svr_sock_, SOL_SOCKET, SO_BINDTODEVICE, name, &size) != 0) return false;
    return interface == std::string(name, strnlen(name, size));
  }
};

int http_status_of(engine::ErrorKind kind) {
  switch (kind) {
    case engine::ErrorKind::NotFound: return 404;
    case engine::ErrorKind::Locked: return 423;
    case engine::ErrorKind::Invalid: return 400;
    case engine::ErrorKind::FileSystem: return 500;
    case engine::ErrorKind::Conflict:
    case engine::ErrorKind::Unavailable:
    case engine::ErrorKind::Refused:
    case engine::ErrorKind::BadResponse:
    case engine::ErrorKind::Store:
    case engine::ErrorKind::Cancelled: return 503;
  }
  return 503;
}

Server::Server(DeviceApi& device, ServerOptions options)
    : device_(device), options_(std::move(options)), http_(std::make_unique<HttpServer>()) {
  routes();
}

Server::~Server() { stop(); }

bool Server::start(std::string& error) {
  if (options_.port == 0) {
    const int port = http_->bind_to_any_port(options_.address);
    if (port <= 0) {
      error = fmt::format("cannot bind {} on any port", options_.address);
      return false;
    }
    port_ = static_cast<std::uint16_t>(port);
  } else {
    if (!http_->bind_to_port(options_.address, options_.port)) {
      error = fmt::format("cannot bind {}:{} (in use, or the address is not local)", options_.address, options_.port);
      return false;
    }
    port_ = options_.port;
  }
  if (!options_.interface.empty() && !http_->bound_to(options_.interface)) {
    http_->stop();
    error = fmt::format("cannot restrict {}:{} to interface {} (SO_BINDTODEVICE needs CAP_NET_RAW)", options_.address,
                        port_, options_.interface);
    return false;
  }
  if (!http_->set_backlog(options_.listen_backlog)) {
    error = fmt::format("cannot listen on {}:{}: {}", options_.address, port_, std::strerror(errno));
    return false;
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return true;
}

std::string Server::answer_raw(std::string_view request) { return http_->answer(request); }

void Server::stop() {
  stopping_ = true;
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

void Server::routes() {
  auto& http = *http_;
  http.set_payload_max_length(10 * 1024 * 1024);
  if (!options_.interface.empty()) {
    http.set_socket_options([interface = options_.interface](socket_t sock) {
      httplib::default_socket_options(sock);
      // Needs CAP_NET_RAW (the supervisor runs as root); start() checks
      // that it took before serving.
      ::setsockopt(sock, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(), static_cast<socklen_t>(interface.size()));
    });
  }
  // A thread per open connection up to the limit (connection_pool.hpp), and
  // no connection kept open by a client that says nothing.
  http.new_task_queue = [max = options_.max_connections] { return new ConnectionPool(max); };
  const auto idle = static_cast<time_t>(options_.idle_timeout.count());
  http.set_keep_alive_timeout(idle);
  http.set_read_timeout(idle, 0);
  http.set_write_timeout(idle, 0);

  // Every endpoint but /ping and /v1/healthy needs the API key, unless the
  // device is in local mode (as the balena supervisor). The key's scope is
  // left for the routes (request_auth.hpp); without a key check every
  // request acts with global scope.
  http.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    request_started = std::chrono::steady_clock::now();
    // A request with neither Content-Length nor Transfer-Encoding has no
    // body (RFC 9112 §6.3), as balena's documented `curl -X POST .../v1/blink`
    // sends it; httplib 0.11 instead reads until the read timeout and answers
    // 400. Saying so before it reads (routing reads the body after this).
    if (!request.has_header("Content-Length") && !request.has_header("Transfer-Encoding")) {
      const_cast<httplib::Request&>(request).headers.emplace("Content-Length", "0");
    }
    const std::string key = presented_key(request);
    if (open_endpoint(request.path) || device_.info().local_mode) {
      set_request_auth({KeyScope{}, key});
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (!key.empty()) {
      auto scope = device_.authorize(key);
      if (!scope) {
        response.status = 503;
        response.set_content(fmt::format("Unexpected error: {}", scope.error().message), "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (scope.value()) {
        set_request_auth({*scope.value(), key});
        return httplib::Server::HandlerResponse::Unhandled;
      }
    }
    response.status = 401;
    response.set_content("Unauthorized", "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
    RequestRecord record{request.method, request.path, request.params, response.status, std::nullopt};
    if (request_started) {
      record.duration =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - *request_started);
      request_started.reset();
    }
    // Healthchecks come every few seconds; only a failing one is news.
    if (open_endpoint(request.path) && response.status == 200) return;
    log_request(device_.log(), record);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
    std::string message = "unexpected error";
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    send_failure(response, 503, message);
  });

  http.Get("/ping", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("OK", "text/plain");
  });
  http.Get("/v1/healthy", [this](const httplib::Request&, httplib::Response& response) {
    const bool healthy = !apply_is_stuck(device_.apply_status(), options_.stuck_after);
    response.status = healthy ? 200 : 500;
    response.set_content(healthy ? "OK" : "Unhealthy", "text/plain");
  });
  http.Get("/v2/local/device-info", [this](const httplib::Request&, httplib::Response& response) {
    const DeviceInfo info = device_.info();
    send_json(response, 200, {{"status", "success"}, {"info", {{"arch", info.arch}, {"deviceType", info.device_type}}}});
  });
  http.Get("/v2/local/target-state", [this](const httplib::Request&, httplib::Response& response) {
    send_json(response, 200, {{"status", "success"}, {"state", {{"local", local_target_json(device_)}}}});
  });
  http.Post("/v2/local/target-state", [this](const httplib::Request& request, httplib::Response& response) {
    if (!device_.info().local_mode) {
      return send_failure(response, 400, "Target state can only set when device is in local mode");
    }
    json body;
    if (!parse_body(request, response, body)) return;
    auto parsed = reconcile::parse_local_target_state(body);
    if (!parsed.ok()) {
      return send_failure(response, 400, fmt::format("Invalid target state: {}", parsed.error().to_string()));
    }
    const engine::Status stored = device_.set_target(parsed.value());
    if (!stored.ok()) return send_failure(response, http_status_of(stored.error().kind), stored.error().message);
    send_json(response, 200, {{"status", "success"}, {"message", "OK"}});
  });
  add_device_routes(http, device_);
  add_app_routes(http, device_);
  http.Get("/v2/local/logs", [this](const httplib::Request&, httplib::Response& response) {
    // A stream keeps its thread until the client goes: bounded, so that
    // streams cannot take every thread from /ping and the rest.
    if (log_streams_.fetch_add(1) >= options_.max_log_streams) {
      --log_streams_;
      return send_failure(response, 503,
                          fmt::format("Too many log streams open (at most {})", options_.max_log_streams));
    }
    std::shared_ptr<void> slot(nullptr, [this](void*) { --log_streams_; });
    stream_logs(device_.log(), stopping_, response, std::move(slot));
  });
}

}  // namespace supervisor::api
