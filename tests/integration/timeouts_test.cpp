// Every call has a time limit: against an "engine" that accepts and never
// answers, calls fail as timeouts naming the call, and a cancel flag ends a
// pull early. No real engine needed.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "engine/docker/client.hpp"
#include "silent_server.hpp"

using namespace engine::docker;
using Clock = std::chrono::steady_clock;

namespace {

Client hanging_client(const testenv::SilentServer& server) {
  auto endpoint = parse_docker_host(server.docker_host());
  REQUIRE(endpoint.ok());
  ClientOptions options;
  options.endpoint = endpoint.value();
  options.request_timeout = std::chrono::milliseconds(500);
  return Client(options);
}

}  // namespace

TEST_CASE("an ordinary call to a hanging engine times out after request_timeout") {
  testenv::SilentServer server;
  const Client client = hanging_client(server);
  const auto start = Clock::now();
  const auto inspected = client.inspect_container("web");
  const auto elapsed = Clock::now() - start;
  REQUIRE_FALSE(inspected.ok());
  CHECK(inspected.error().kind == ErrorKind::timeout);
  CHECK(inspected.error().describe().find("inspect container 'web': timeout: ") == 0);
  CHECK(elapsed >= std::chrono::milliseconds(400));
  CHECK(elapsed < std::chrono::milliseconds(3000));
}

TEST_CASE("a pull from a hanging engine fails after its stall timeout") {
  testenv::SilentServer server;
  const Client client = hanging_client(server);
  PullOptions options;
  options.stall_timeout = std::chrono::seconds(1);
  const auto start = Clock::now();
  const auto pulled = client.pull_image("reconcile-test/any:latest", options, nullptr, nullptr);
  const auto elapsed = Clock::now() - start;
  REQUIRE_FALSE(pulled.ok());
  CHECK(pulled.error().kind == ErrorKind::timeout);
  CHECK(pulled.error().describe() == "pull image 'reconcile-test/any:latest': timeout: no data for 1 s");
  CHECK(elapsed < std::chrono::milliseconds(4000));
}

TEST_CASE("a pull that hangs ends within about a second of its cancel") {
  testenv::SilentServer server;
  const Client client = hanging_client(server);
  CancelFlag cancel{false};
  Status result;
  const auto start = Clock::now();
  std::thread pull([&] { result = client.pull_image("reconcile-test/any", PullOptions{}, nullptr, &cancel); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  cancel = true;
  pull.join();
  const auto elapsed = Clock::now() - start;
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::cancelled);
  CHECK(elapsed < std::chrono::milliseconds(2500));
}
