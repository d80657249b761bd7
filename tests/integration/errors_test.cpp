// How the client reports failures: which call, what kind, the engine's
// message; and DOCKER_HOST parsing.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace engine::docker;
using testenv::client;

TEST_CASE("the engine answers a ping") { REQUIRE(client().ping().ok()); }

TEST_CASE("a missing container is a 404 with the engine's message") {
  const std::string name = testenv::unique_name("absent");
  const auto inspected = client().inspect_container(name);
  REQUIRE_FALSE(inspected.ok());
  const Error& error = inspected.error();
  CHECK(error.kind == ErrorKind::not_found);
  CHECK(error.http_status == 404);
  CHECK(error.message.find("No such container") != std::string::npos);
  CHECK(error.describe() == "inspect container '" + name + "': " + error.message + " (HTTP 404)");
  // Callers treat these as already done.
  CHECK(client().stop_container(name, std::chrono::seconds(1)).is_not_found());
  CHECK(client().remove_container(name, RemoveVolumes::remove, Force::yes).is_not_found());
  CHECK(client().start_container(name).is_not_found());
}

TEST_CASE("an engine socket nobody listens on is a transport error naming the call") {
  ClientOptions options;
  options.endpoint.socket_path = "/nonexistent/docker.sock";
  const Client absent(options);
  const auto pinged = absent.ping();
  REQUIRE_FALSE(pinged.ok());
  CHECK(pinged.error().kind == ErrorKind::transport);
  CHECK(pinged.error().describe().find("ping the engine: cannot reach the engine: ") == 0);
}

TEST_CASE("a TCP engine address with nothing listening is a transport error") {
  auto endpoint = parse_docker_host("tcp://127.0.0.1:1");
  REQUIRE(endpoint.ok());
  ClientOptions options;
  options.endpoint = endpoint.value();
  const auto listed = Client(options).list_containers({}, ListScope::all);
  REQUIRE_FALSE(listed.ok());
  CHECK(listed.error().kind == ErrorKind::transport);
  CHECK(listed.error().call == "list containers");
}

TEST_CASE("DOCKER_HOST accepts unix and tcp addresses and rejects others") {
  auto fallback = parse_docker_host("");
  REQUIRE(fallback.ok());
  CHECK(fallback->kind == Endpoint::Kind::unix_socket);
  CHECK(fallback->socket_path == "/var/run/docker.sock");

  auto balena = parse_docker_host("unix:///var/run/balena-engine.sock");
  REQUIRE(balena.ok());
  CHECK(balena->socket_path == "/var/run/balena-engine.sock");

  auto tcp = parse_docker_host("tcp://127.0.0.1:2375");
  REQUIRE(tcp.ok());
  CHECK(tcp->kind == Endpoint::Kind::tcp);
  CHECK(tcp->host_port == "127.0.0.1:2375");

  for (const char* bad : {"unix://", "unix://relative", "tcp://127.0.0.1", "tcp://:2375",
                          "tcp://host:port", "ssh://host", "/var/run/docker.sock"}) {
    CAPTURE(bad);
    const auto parsed = parse_docker_host(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().describe().find("parse DOCKER_HOST") == 0);
  }
}
