// Client construction, DOCKER_HOST, ping, and the Error texts.
#include "engine/docker/client.hpp"

#include <cstdlib>
#include <fmt/format.h>

#include "calls.hpp"

namespace engine::docker {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::not_found: return "not found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::bad_request: return "bad request";
    case ErrorKind::engine: return "engine error";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::cancelled: return "cancelled";
    case ErrorKind::transport: return "cannot reach the engine";
    case ErrorKind::bad_response: return "unexpected answer";
  }
  return "error";
}

std::string Error::describe() const {
  if (http_status >= 300) return fmt::format("{}: {} (HTTP {})", call, message, http_status);
  return fmt::format("{}: {}: {}", call, to_string(kind), message);
}

Result<Endpoint> parse_docker_host(std::string_view docker_host) {
  static constexpr std::string_view unix_scheme = "unix://";
  static constexpr std::string_view tcp_scheme = "tcp://";
  const std::string call = fmt::format("parse DOCKER_HOST '{}'", docker_host);
  Endpoint endpoint;
  if (docker_host.empty()) {
    endpoint.socket_path = "/var/run/docker.sock";
    return endpoint;
  }
  if (docker_host.substr(0, unix_scheme.size()) == unix_scheme) {
    endpoint.socket_path = std::string(docker_host.substr(unix_scheme.size()));
    if (endpoint.socket_path.empty() || endpoint.socket_path.front() != '/') {
      return Error{ErrorKind::transport, 0, call, "expected unix:///absolute/path"};
    }
    return endpoint;
  }
  if (docker_host.substr(0, tcp_scheme.size()) == tcp_scheme) {
    std::string_view rest = docker_host.substr(tcp_scheme.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    const auto colon = rest.rfind(':');
    if (rest.empty() || colon == std::string_view::npos || colon == 0 ||
        colon + 1 == rest.size() ||
        rest.substr(colon + 1).find_first_not_of("0123456789") != std::string_view::npos) {
      return Error{ErrorKind::transport, 0, call, "expected tcp://host:port"};
    }
    endpoint.kind = Endpoint::Kind::tcp;
    endpoint.host_port = std::string(rest);
    return endpoint;
  }
  return Error{ErrorKind::transport, 0, call, "expected unix:// or tcp:// (TLS is not supported)"};
}

Result<ClientOptions> options_from_environment() {
  const char* docker_host = std::getenv("DOCKER_HOST");
  auto endpoint = parse_docker_host(docker_host != nullptr ? docker_host : "");
  if (!endpoint.ok()) return endpoint.error();
  ClientOptions options;
  options.endpoint = std::move(endpoint).value();
  return options;
}

Client::Client(ClientOptions options) : options_(std::move(options)) {}

Status Client::ping() const {
  const std::string call = "ping the engine";
  auto response = detail::perform(
      options_, detail::make_request(options_, detail::Method::get, "/_ping"), call);
  if (!response.ok()) return response.error();
  if (response->status != 200) return detail::http_error(call, response.value());
  if (response->body != "OK") {
    return Error{ErrorKind::bad_response, response->status, call, fmt::format("answered '{}'", response->body)};
  }
  return {};
}

}  // namespace engine::docker
