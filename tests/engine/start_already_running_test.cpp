// A start the engine answers with 304 (already running) for a container the
// snapshot saw not running: the engine's views of the container disagree
// (dockerd after a full disk, docs/reliability.md). The client reports the
// 304 apart from a start, and the executor fails such a Start step, so the
// apply loop backs off instead of planning the same start again at once.
// Against an in-process HTTP server standing in for the engine.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "../cloud/test_server.hpp"
#include "engine/docker/client.hpp"
#include "engine/runtime/docker_executor.hpp"

namespace {

// An engine whose every start answers `status`; counts the starts and the
// updates (with their bodies).
struct FakeEngine {
  explicit FakeEngine(int status, int update_status = 200) {
    server.routes().Post(R"(/v1\.41/containers/([^/]+)/start)", [this, status](const httplib::Request&,
                                                                              httplib::Response& res) {
      ++starts;
      res.status = status;
      if (status == 404) res.set_content(R"({"message": "No such container"})", "application/json");
    });
    server.routes().Post(R"(/v1\.41/containers/([^/]+)/update)",
                         [this, update_status](const httplib::Request& req, httplib::Response& res) {
                           ++updates;
                           const std::lock_guard<std::mutex> lock(mutex);
                           update_paths.push_back(req.path);
                           update_bodies.push_back(req.body);
                           res.status = update_status;
                           res.set_content(update_status == 200 ? R"({"Warnings": []})"
                                                                : R"({"message": "no space left on device"})",
                                           "application/json");
                         });
    server.start();
  }
  [[nodiscard]] engine::docker::Client client() const {
    auto endpoint = engine::docker::parse_docker_host(server.url("tcp"));
    REQUIRE(endpoint.ok());
    engine::docker::ClientOptions options;
    options.endpoint = endpoint.value();
    return engine::docker::Client(options);
  }
  cloud_test::TestServer server;
  std::atomic<int> starts{0};
  std::atomic<int> updates{0};
  std::mutex mutex;
  std::vector<std::string> update_paths;
  std::vector<std::string> update_bodies;
};

// The step the planner makes for a container created and never started.
reconcile::Step start_of_existing(const std::string& id) {
  reconcile::Service target;
  target.service_name = "db";
  target.container_id = id;
  target.running = true;
  return reconcile::Start{target, "the container was created but never started"};
}

engine::Status run_step(const engine::docker::Client& client, const reconcile::Step& step) {
  const auto lock_dir = std::filesystem::temp_directory_path() / "engine-tests-start-already-running";
  engine::MemoryRecords records;
  engine::UpdateLocks locks(lock_dir.string());
  engine::Downloads downloads;
  engine::DockerExecutor executor(
      client, records, locks, downloads,
      [](const reconcile::Service&, nlohmann::json&) {
        return engine::Status::failure(engine::ErrorKind::Invalid, "no container is created here");
      },
      engine::ExecutorSettings{});
  const engine::CancelFlag cancel{false};
  return executor.run(step, cancel, {});
}

}  // namespace

TEST_CASE("the Docker client tells a start from 'already running'") {
  SECTION("204: started") {
    FakeEngine engine(204);
    const auto started = engine.client().start_container_reporting("abc");
    REQUIRE(started.ok());
    CHECK(started.value() == engine::docker::StartOutcome::started);
  }
  SECTION("304: already running, which the plain start still takes as success") {
    FakeEngine engine(304);
    const auto started = engine.client().start_container_reporting("abc");
    REQUIRE(started.ok());
    CHECK(started.value() == engine::docker::StartOutcome::already_running);
    CHECK(engine.client().start_container("abc").ok());
  }
  SECTION("404: an error") {
    FakeEngine engine(404);
    const auto started = engine.client().start_container_reporting("abc");
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().is_not_found());
  }
}

TEST_CASE("a Start step the engine answers 'already running' fails, naming the disagreement") {
  FakeEngine engine(304);
  const engine::Status status = run_step(engine.client(), start_of_existing("0123456789abcdef"));
  CHECK(engine.starts == 1);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().kind == engine::ErrorKind::Conflict);
  CHECK_THAT(status.error().message, Catch::Contains("0123456789ab") && Catch::Contains("already running") &&
                                         Catch::Contains("views of it disagree"));
}

TEST_CASE("after an 'already running' start the engine is asked to write the container's state again") {
  SECTION("the update that changes nothing is sent, and said") {
    FakeEngine engine(304);
    const engine::Status status = run_step(engine.client(), start_of_existing("0123456789abcdef"));
    REQUIRE_FALSE(status.ok());
    CHECK_THAT(status.error().message, Catch::Contains("asked to write its state again"));
    REQUIRE(engine.updates == 1);
    CHECK(engine.update_paths.at(0) == "/v1.41/containers/0123456789abcdef/update");
    CHECK(engine.update_bodies.at(0) == "{}");
  }
  SECTION("a failed update is said, and the step still fails as a disagreement") {
    FakeEngine engine(304, 500);
    const engine::Status status = run_step(engine.client(), start_of_existing("0123456789abcdef"));
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == engine::ErrorKind::Conflict);
    CHECK_THAT(status.error().message, Catch::Contains("asking the engine to write its state again failed") &&
                                           Catch::Contains("no space left on device"));
  }
}

TEST_CASE("a Start step the engine carries out succeeds, and updates nothing") {
  FakeEngine engine(204);
  CHECK(run_step(engine.client(), start_of_existing("0123456789abcdef")).ok());
  CHECK(engine.starts == 1);
  CHECK(engine.updates == 0);
}
