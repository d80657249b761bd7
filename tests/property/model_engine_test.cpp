// The model engine gives the state after a step succeeds, with the
// semantics of the executor (balena-supervisor-behaviour.md §3.1).
#include <catch2/catch.hpp>

#include "reconcile/model_engine.hpp"
#include "reconcile/testing/show.hpp"

namespace {

using namespace reconcile;

Service service(const std::string& name, const std::string& commit) {
  Service s;
  s.service_name = name;
  s.commit = commit;
  s.image = "img-" + name + "-" + commit;
  return s;
}

Service container(Service s, ServiceStatus status, const std::string& id) {
  s.status = status;
  s.running = status == ServiceStatus::Running;
  s.container_id = id;
  s.created_at = 10;
  return s;
}

World device_with(std::vector<Service> containers) {
  World world;
  world.context.now = 100;
  world.context.boot_time = 50;
  App app;
  app.services = std::move(containers);
  world.current.apps.push_back(app);
  return world;
}

const Service& only_container(const World& world) {
  REQUIRE(world.current.apps.size() == 1);
  REQUIRE(world.current.apps[0].services.size() == 1);
  return world.current.apps[0].services[0];
}

}  // namespace

TEST_CASE("fetch makes the image available and ends its download") {
  World world;
  world.context.downloading = {"img-main-new"};
  apply(world, Fetch{image_of(service("main", "new")), "main", ""});
  CHECK(world.context.downloading.empty());
  REQUIRE(world.context.available_images.size() == 1);
  CHECK(world.context.available_images[0].name == "img-main-new");
}

TEST_CASE("kill removes the container, and an app left with nothing") {
  World world = device_with({container(service("main", "old"), ServiceStatus::Running, "a")});
  apply(world, Kill{world.current.apps[0].services[0], ""});
  CHECK(world.current.apps.empty());
}

TEST_CASE("stop keeps the container, stopped") {
  World world = device_with({container(service("main", "old"), ServiceStatus::Running, "a")});
  apply(world, Stop{world.current.apps[0].services[0], ""});
  CHECK(only_container(world).status == ServiceStatus::Exited);
  CHECK_FALSE(only_container(world).running);
}

TEST_CASE("start creates and runs a container") {
  World world;
  world.context.now = 100;
  apply(world, Start{service("main", "new"), ""});
  CHECK(only_container(world).status == ServiceStatus::Running);
  CHECK(only_container(world).created_at == 100);
  CHECK(only_container(world).container_id.has_value());
}

TEST_CASE("start creates without starting a running:false service") {
  World world;
  Service target = service("main", "new");
  target.running = false;
  apply(world, Start{target, ""});
  CHECK(only_container(world).status == ServiceStatus::Installed);
  CHECK_FALSE(only_container(world).running);
}

TEST_CASE("start creates without starting a service that requires a reboot, and starts it after one") {
  World world;
  Service target = service("main", "new");
  ServiceConfig config;
  config.requires_reboot = true;
  target.set_config(config);
  apply(world, Start{target, ""});
  CHECK(only_container(world).status == ServiceStatus::Installed);
  apply(world, RequireReboot{1, "main", ""});
  CHECK(world.context.reboot_breadcrumb_set);
  reboot(world);
  CHECK_FALSE(world.context.reboot_breadcrumb_set);
  target.container_id = only_container(world).container_id;  // start that container
  apply(world, Start{target, ""});
  CHECK(only_container(world).status == ServiceStatus::Running);
}

TEST_CASE("start of a created container starts that container") {
  World world = device_with({container(service("main", "new"), ServiceStatus::Installed, "a")});
  Service target = service("main", "new");
  target.container_id = "a";  // the planner names the container to start
  apply(world, Start{target, ""});
  CHECK(only_container(world).container_id == "a");
  CHECK(only_container(world).status == ServiceStatus::Running);
}

TEST_CASE("updateMetadata renames the container to the new release") {
  World world = device_with({container(service("main", "old"), ServiceStatus::Running, "a")});
  Service target = service("main", "new");
  target.release_id = 7;
  target.image_id = 8;
  apply(world, UpdateMetadata{world.current.apps[0].services[0], target, ""});
  CHECK(only_container(world).commit == "new");
  CHECK(only_container(world).release_id == 7);
  CHECK(only_container(world).image_id == 8);
  CHECK(only_container(world).container_id == "a");
}

TEST_CASE("handover replaces the container") {
  World world = device_with({container(service("main", "old"), ServiceStatus::Running, "a")});
  apply(world, Handover{world.current.apps[0].services[0], service("main", "new"), ""});
  CHECK(only_container(world).commit == "new");
  CHECK(only_container(world).container_id != "a");
  CHECK(only_container(world).status == ServiceStatus::Running);
}

TEST_CASE("takeLock holds the app's lock and releaseLock frees it") {
  World world;
  world.context.has_leftover_locks = true;
  apply(world, TakeLock{1, {"main"}, false, ""});
  CHECK(world.context.locks_held == std::set<AppId>{1});
  apply(world, ReleaseLock{1, ""});
  CHECK(world.context.locks_held.empty());
  CHECK_FALSE(world.context.has_leftover_locks);
}

TEST_CASE("takeLock fails on a user's lock unless forced, and a forced one breaks it") {
  World world;
  UserLocks user_locks{1};
  apply(world, TakeLock{1, {"main"}, false, ""}, user_locks);
  CHECK(world.context.locks_held.empty());
  CHECK(user_locks == UserLocks{1});
  apply(world, TakeLock{1, {"main"}, true, ""}, user_locks);
  CHECK(world.context.locks_held == std::set<AppId>{1});
  CHECK(user_locks.empty());
}

TEST_CASE("removeImage and saveImage change the image records") {
  World world;
  const Image image = image_of(service("main", "new"));
  apply(world, SaveImage{image, ""});
  apply(world, SaveImage{image, ""});
  CHECK(world.context.available_images.size() == 1);
  apply(world, RemoveImage{image, EngineCopy::Delete, ""});
  CHECK(world.context.available_images.empty());
}

TEST_CASE("networks and volumes are created, and removed with their duplicates") {
  World world;
  Network network;
  network.name = "front";
  Volume volume;
  volume.name = "data";
  apply(world, CreateNetwork{network, ""});
  apply(world, CreateNetwork{network, ""});  // the engine's duplicate-name bug
  apply(world, CreateVolume{volume, ""});
  REQUIRE(world.current.apps.size() == 1);
  CHECK(world.current.apps[0].networks.size() == 2);
  apply(world, RemoveNetwork{network, ""});
  CHECK(world.current.apps[0].networks.empty());
  apply(world, RemoveVolume{volume, ""});
  CHECK(world.current.apps.empty());
}

TEST_CASE("updateCommit records the release") {
  World world = device_with({container(service("main", "new"), ServiceStatus::Running, "a")});
  apply(world, UpdateCommit{1, "new", ""});
  CHECK(world.current.apps[0].commit == "new");
}

TEST_CASE("remove takes a dead container away") {
  World world = device_with({container(service("main", "old"), ServiceStatus::Dead, "a")});
  apply(world, Remove{world.current.apps[0].services[0], ""});
  CHECK(world.current.apps.empty());
}

TEST_CASE("time passing ends transitions: a stopping container has stopped") {
  World world = device_with({container(service("main", "old"), ServiceStatus::Stopping, "a")});
  settle_transitions(world);
  CHECK(only_container(world).status == ServiceStatus::Exited);
}

TEST_CASE("a reboot restarts exited containers whose restart policy is always or unset") {
  World world = device_with({container(service("main", "old"), ServiceStatus::Exited, "a")});
  reboot(world);
  CHECK(only_container(world).status == ServiceStatus::Running);
  CHECK(world.context.boot_time == 100);
}

TEST_CASE("steps print as the plan text") {
  std::ostringstream out;
  out << Step{Noop{"waiting"}};
  CHECK(out.str().find("waiting") != std::string::npos);
}
