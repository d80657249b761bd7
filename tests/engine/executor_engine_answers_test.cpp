// Engine answers the executor must read right, against an in-process HTTP
// server standing in for the engine:
// - a start answered 304 (already running) for a container the snapshot saw
//   not running: the engine's views of the container disagree (dockerd
//   after a full disk, docs/reliability.md). The client reports the 304
//   apart from a start, and the executor fails such a Start step, so the
//   apply loop backs off instead of planning the same start again at once;
// - a removal answered 409 "removal ... is already in progress": someone
//   else removes the container, so a Kill or Remove step is done.
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
    // A container that is service "db" of app 1; its removal answers
    // `remove_status` with `remove_message`.
    server.routes().Get(R"(/v1\.41/containers/([^/]+)/json)", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(nlohmann::json{{"Id", req.matches[1].str()},
                                     {"Name", "/db_11_22_0123456789abcdef0123456789abcdef"},
                                     {"Config", {{"Labels", {{"io.balena.app-id", "1"},
                                                             {"io.balena.service-name", "db"}}}}},
                                     {"State", {{"Running", true}}}}
                          .dump(),
                      "application/json");
    });
    server.routes().Post(R"(/v1\.41/containers/([^/]+)/stop)",
                         [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    server.routes().Delete(R"(/v1\.41/containers/([^/]+))", [this](const httplib::Request&, httplib::Response& res) {
      ++removals;
      res.status = remove_status;
      if (remove_status != 204) res.set_content(nlohmann::json{{"message", remove_message}}.dump(), "application/json");
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
  std::atomic<int> removals{0};
  int remove_status = 204;
  std::string remove_message;
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

TEST_CASE("a removal the engine says is already in progress ends a Kill or Remove step as done") {
  reconcile::Service current;
  current.app_id = 1;
  current.service_name = "db";
  current.container_id = "0123456789abcdef";
  FakeEngine engine(204);
  engine.remove_status = 409;
  engine.remove_message = "removal of container db_11_22_0123456789abcdef0123456789abcdef is already in progress";
  CHECK(run_step(engine.client(), reconcile::Kill{current, "the target drops it"}).ok());
  CHECK(run_step(engine.client(), reconcile::Remove{current, "dead"}).ok());
  CHECK(engine.removals == 2);
  SECTION("another conflict still fails the step") {
    engine.remove_message = "You cannot remove a running container 0123456789abcdef. Stop the container first";
    const engine::Status status = run_step(engine.client(), reconcile::Kill{current, "the target drops it"});
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().kind == engine::ErrorKind::Conflict);
    CHECK_THAT(status.error().message, Catch::Contains("Stop the container first"));
  }
}
