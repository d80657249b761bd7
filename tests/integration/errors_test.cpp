// How the client reports failures: which call, what kind, the engine's
// message; and DOCKER_HOST parsing.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "support.hpp"
#include "tcp_forwarder.hpp"

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

TEST_CASE("a tcp:// DOCKER_HOST reaches the engine") {
  auto from_env = options_from_environment();
  REQUIRE(from_env.ok());
  REQUIRE(from_env->endpoint.kind == Endpoint::Kind::unix_socket);
  testenv::TcpForwarder forwarder(from_env->endpoint.socket_path);
  auto endpoint = parse_docker_host("tcp://" + forwarder.address());
  REQUIRE(endpoint.ok());
  ClientOptions options;
  options.endpoint = endpoint.value();
  const Client over_tcp(options);
  REQUIRE(over_tcp.ping().ok());
  auto image = over_tcp.inspect_image(testenv::env().busybox_image);
  REQUIRE(image.ok());
  CHECK(image->labels.count("io.reconcile.test.image") == 1);
  CHECK(over_tcp.inspect_container(testenv::unique_name("absent")).error().is_not_found());
}

TEST_CASE("one client serves many threads at once") {
  const std::string id = testenv::create_busybox(testenv::unique_name("threads"));
  testenv::Cleanup cleanup([&] { testenv::remove_container_quietly(id); });
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (!client().inspect_container(id).ok()) ++failures;
        if (!client().list_containers(testenv::label_filter(), ListScope::all).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
}
