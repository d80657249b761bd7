// Container calls against the real engine.
#include <catch2/catch.hpp>

#include "engine/docker/json.hpp"
#include "support.hpp"

using namespace engine::docker;
using testenv::client;

TEST_CASE("a container is created, started, inspected, renamed, updated, stopped and removed") {
  const std::string name = testenv::unique_name("lifecycle");
  const std::string id = testenv::create_busybox(name);
  testenv::Cleanup cleanup([&] { testenv::remove_container_quietly(id); });

  auto created = client().inspect_container(name);
  REQUIRE(created.ok());
  CHECK(created->id == id);
  CHECK(created->name == name);
  CHECK(created->status == "created");
  CHECK(created->labels.at(testenv::env().object_label) == testenv::env().env_id);

  REQUIRE(client().start_container(id).ok());
  // Starting a running container answers 304, which is success.
  REQUIRE(client().start_container(id).ok());
  auto running = client().inspect_container(id);
  REQUIRE(running.ok());
  CHECK(running->running);
  CHECK(running->status == "running");
  CHECK(parse_raw(running->raw)["Config"]["Cmd"][1] == "3600");

  auto listed = client().list_containers(testenv::label_filter(), ListScope::running_only);
  REQUIRE(listed.ok());
  bool found = false;
  for (const auto& container : listed.value()) found = found || (container.id == id && container.name == name);
  CHECK(found);

  const std::string new_name = testenv::unique_name("renamed");
  REQUIRE(client().rename_container(id, new_name).ok());
  auto renamed = client().inspect_container(new_name);
  REQUIRE(renamed.ok());
  CHECK(renamed->id == id);
  CHECK(client().inspect_container(name).error().is_not_found());

  REQUIRE(client().update_restart_policy(id, RestartPolicy{"always", 0}).ok());
  CHECK(client().inspect_container(id)->restart_policy == "always");
  // An empty name clears the policy, as before a handover.
  REQUIRE(client().update_restart_policy(id, RestartPolicy{}).ok());
  CHECK(client().inspect_container(id)->restart_policy == "no");

  // sleep as PID 1 ignores SIGTERM, so this waits the 1 s and kills.
  REQUIRE(client().stop_container(id, std::chrono::seconds(1)).ok());
  // Stopping a stopped container answers 304, which is success.
  REQUIRE(client().stop_container(id, std::chrono::seconds(1)).ok());
  auto stopped = client().inspect_container(id);
  REQUIRE(stopped.ok());
  CHECK_FALSE(stopped->running);
  CHECK(stopped->status == "exited");
  CHECK(stopped->exit_code == 137);

  REQUIRE(client().remove_container(id, RemoveVolumes::remove, Force::no).ok());
  const auto gone = client().inspect_container(id);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().is_not_found());
  // Removing it again is a 404 the caller can treat as done.
  const auto again = client().remove_container(id, RemoveVolumes::remove, Force::no);
  CHECK(again.is_not_found());
  CHECK(again.error().http_status == 404);
}

TEST_CASE("kill ends a running container at once") {
  const std::string id = testenv::create_busybox(testenv::unique_name("kill"));
  testenv::Cleanup cleanup([&] { testenv::remove_container_quietly(id); });
  REQUIRE(client().start_container(id).ok());
  REQUIRE(client().kill_container(id).ok());
  auto killed = client().inspect_container(id);
  REQUIRE(killed.ok());
  CHECK_FALSE(killed->running);
  // Killing a container that is not running is an engine error (409).
  const auto again = client().kill_container(id);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == ErrorKind::conflict);
}

TEST_CASE("removing a running container needs force") {
  const std::string id = testenv::create_busybox(testenv::unique_name("force"));
  testenv::Cleanup cleanup([&] { testenv::remove_container_quietly(id); });
  REQUIRE(client().start_container(id).ok());
  const auto refused = client().remove_container(id, RemoveVolumes::remove, Force::no);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::conflict);
  CHECK(refused.error().describe().find("remove container '" + id + "'") == 0);
  REQUIRE(client().remove_container(id, RemoveVolumes::remove, Force::yes).ok());
  CHECK(client().inspect_container(id).error().is_not_found());
}

TEST_CASE("a second container with the same name is a conflict") {
  const std::string name = testenv::unique_name("twice");
  const std::string id = testenv::create_busybox(name);
  testenv::Cleanup cleanup([&] { testenv::remove_container_quietly(id); });
  const nlohmann::json spec = {{"Image", testenv::env().busybox_image}, {"Labels", testenv::labels()}};
  const auto second = client().create_container(name, body(spec));
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().kind == ErrorKind::conflict);
  CHECK(second.error().http_status == 409);
}

TEST_CASE("creating a container from a missing image names the image") {
  const std::string missing = testenv::env().registry + "/reconcile-test/absent:never";
  const nlohmann::json spec = {{"Image", missing}, {"Labels", testenv::labels()}};
  const auto created = client().create_container(testenv::unique_name("noimage"), body(spec));
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().is_not_found());
  CHECK(created.error().describe().find(missing) != std::string::npos);
}
