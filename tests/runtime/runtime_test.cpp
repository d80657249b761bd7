// The runtime against a real engine: snapshot -> plan -> batch, batch after
// batch, until the plan is empty, as the daemon's apply loop does. Each test
// owns a Device (its own scope label, records, lock directory) and leaves
// nothing behind: it converges to an empty target at the end, and the
// Device's destructor sweeps its scope whatever happened.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <chrono>
#include <string>
#include <vector>

#include "engine/docker/json.hpp"
#include "engine/runtime/names.hpp"
#include "runtime_support.hpp"

namespace runtime_test {
namespace {

using nlohmann::json;

// The three services every release here has: two share the named volume
// and the extra network, the third only joins the default network.
std::vector<ServiceSpec> three_services(const std::string& image, const std::string& strategy = "") {
  std::vector<ServiceSpec> services = {
      {"api", image, {{"volumes", {"data:/data"}}, {"networks", {"backend"}}}, {}, {}},
      {"db", image, {{"volumes", {"data:/var/lib/db"}}, {"networks", {"backend"}}}, {}, {}},
      {"worker", image, json::object(), {}, {}},
  };
  if (!strategy.empty()) {
    for (auto& service : services) service.labels["io.balena.update.strategy"] = strategy;
  }
  return services;
}

ReleaseSpec release(Device& device, std::vector<ServiceSpec> services) {
  ReleaseSpec out;
  out.commit = device.new_commit();
  out.release_id = device.new_release_id();
  out.services = std::move(services);
  out.networks = {"backend"};
  out.volumes = {"data"};
  return out;
}

const reconcile::Service& target_service(const reconcile::State& target, const std::string& name) {
  for (const auto& app : target.apps) {
    for (const auto& service : app.services) {
      if (service.service_name == name) return service;
    }
  }
  FAIL("no target service " << name);
  throw std::logic_error("unreachable");
}

std::string label(const ContainerView& container, const std::string& key) {
  auto it = container.labels.find(key);
  return it == container.labels.end() ? "" : it->second;
}

bool joined(const ContainerView& container, const std::string& network) {
  const json networks = container.raw["NetworkSettings"].value("Networks", json::object());
  return networks.contains(network);
}

bool mounts_volume(const ContainerView& container, const std::string& volume) {
  for (const auto& mount : container.raw.value("Mounts", json::array())) {
    if (mount.value("Type", "") == "volume" && mount.value("Name", "") == volume) return true;
  }
  return false;
}

// The host directory bound at `destination` (a bind mount), or "".
std::string bind_source(const ContainerView& container, const std::string& destination) {
  for (const auto& mount : container.raw.value("Mounts", json::array())) {
    if (mount.value("Type", "") == "bind" && mount.value("Destination", "") == destination) {
      return mount.value("Source", "");
    }
  }
  return "";
}

// "2026-11-30T15:47:45.123456789Z" -> seconds since the day's start plus the
// fraction; enough to order two starts of one test.
double started_seconds(const std::string& rfc3339) {
  REQUIRE(rfc3339.size() >= 19);
  const double hours = std::stod(rfc3339.substr(11, 2));
  const double minutes = std::stod(rfc3339.substr(14, 2));
  double seconds = std::stod(rfc3339.substr(17, 2));
  if (rfc3339.size() > 19 && rfc3339[19] == '.') {
    const auto end = rfc3339.find_first_not_of("0123456789", 20);
    seconds += std::stod("0." + rfc3339.substr(20, end - 20));
  }
  return hours * 3600 + minutes * 60 + seconds;
}

// The app is gone from the engine: no container, network or volume of the
// device's scope is left (volumes stay only when the device keeps them).
void remove_everything(Device& device) {
  const auto removed = device.converge(reconcile::State{});
  INFO(removed.transcript());
  REQUIRE(removed.settled);
  CHECK(containers_of(device).empty());
  CHECK(network_names(device).empty());
  CHECK(volume_names(device).empty());
}

// A reference that exists nowhere: not on the engine, not in the registry.
std::string missing_image(const Device& device) {
  return testenv::env().registry + "/reconcile-test/missing-" + device.scope() + ":v1";
}

// The registry images start absent from the engine so that a fetch pulls.
void require_not_local(const std::string& image) {
  if (image_exists(image)) (void)testenv::client().remove_image(image, engine::docker::Force::no);
  REQUIRE_FALSE(image_exists(image));
}

// The engine's own record of what happened since `since` (unix seconds):
// container and image events, oldest first.
std::vector<engine::docker::Event> engine_events(double since) {
  std::vector<engine::docker::Event> out;
  engine::docker::EventOptions options;
  options.filters = {{"type", {"container", "image"}}};
  options.since = since;
  options.max_duration = std::chrono::milliseconds(700);  // the replay comes at once
  const auto streamed = testenv::client().stream_events(
      options, [&](const engine::docker::Event& event) { out.push_back(event); }, nullptr);
  if (!streamed.ok()) FAIL(streamed.error().describe());
  return out;
}

// Time (ns) of the first or last event of this type and action on this actor.
enum class Which { First, Last };
std::int64_t event_time(const std::vector<engine::docker::Event>& events, const std::string& type,
                        const std::string& action, const std::string& actor, Which which) {
  std::int64_t found = 0;
  for (const auto& event : events) {
    if (event.type != type || event.action != action || event.actor_id != actor) continue;
    if (found == 0 || which == Which::Last) found = event.time_nano;
    if (which == Which::First) break;
  }
  return found;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("a fresh install pulls the release from the registry and runs its three services with balena names",
          "[runtime][install]") {
  Device device;
  const auto app = device.new_app();
  const std::string image = testenv::env().registry_busybox_image;
  require_not_local(image);
  device.forget_image_later(image);

  const auto spec = release(device, three_services(image));
  const auto target = device.target({{app, spec}});
  const auto installed = device.converge(target);
  INFO(installed.transcript());
  REQUIRE(installed.settled);
  report_timing("fresh-install 3 services", installed.seconds);
  CHECK(image_exists(image));  // pulled from 127.0.0.1, not found locally

  const std::string backend = app.app_uuid + "_backend";
  const std::string default_network = app.app_uuid + "_default";
  const std::string volume = std::to_string(app.app_id) + "_data";
  const auto containers = containers_of(device);
  REQUIRE(containers.size() == 3);
  for (const auto& container : containers) {
    const std::string service = label(container, "io.balena.service-name");
    INFO(container.name);
    CHECK(container.state == "running");
    CHECK(container.name == engine::names::container_name(target_service(target, service)));
    CHECK(label(container, "io.balena.supervised") == "true");
    CHECK(label(container, "io.balena.app-id") == std::to_string(app.app_id));
    CHECK(label(container, "io.balena.app-uuid") == app.app_uuid);
    CHECK(label(container, "io.balena.service-id") == std::to_string(target_service(target, service).service_id));
    CHECK(container.image == image);
    // The update-lock directory is the one the device's UpdateLocks watches.
    const std::string lock_dir = device.lock_dir() + "/" + std::to_string(app.app_id) + "/" + service;
    CHECK(bind_source(container, "/tmp/balena") == lock_dir);
    CHECK(bind_source(container, "/tmp/resin") == lock_dir);
    if (service == "worker") {
      CHECK(joined(container, default_network));
      CHECK_FALSE(mounts_volume(container, volume));
    } else {
      CHECK(joined(container, backend));
      CHECK(mounts_volume(container, volume));
    }
  }
  CHECK(network_names(device) == std::vector<std::string>{backend, default_network});
  CHECK(volume_names(device) == std::vector<std::string>{volume});

  // The snapshot reads back what the planner asked for: the commit is
  // recorded and planning again gives nothing to do.
  const auto snapshot = device.snapshot();
  REQUIRE(snapshot.current.apps.size() == 1);
  CHECK(snapshot.current.apps[0].commit == spec.commit);
  const auto again = device.converge(target);
  CHECK(again.settled);
  CHECK(again.outcomes.empty());

  remove_everything(device);
  CHECK_FALSE(image_exists(image));  // no record uses it any more
}

namespace {

// Release 1 from a local tag, release 2 pulled from the registry; a file
// written into the volume under release 1 must still be there.
void check_update(const std::string& strategy) {
  Device device;
  const auto app = device.new_app();
  const std::string old_image = device.tag_busybox("r1");
  const std::string new_image = testenv::env().pull_image;
  require_not_local(new_image);
  device.forget_image_later(new_image);

  const auto first = release(device, three_services(old_image, strategy));
  const auto installed = device.converge(device.target({{app, first}}));
  INFO(installed.transcript());
  REQUIRE(installed.settled);
  const auto before = containers_of(device);
  REQUIRE(before.size() == 3);

  const std::string volume = std::to_string(app.app_id) + "_data";
  const std::string marker = strategy + "-" + first.commit;
  REQUIRE(device.run_in_volume(volume, "echo " + marker + " > /data/marker") == 0);

  const auto second = release(device, three_services(new_image, strategy));
  const auto target = device.target({{app, second}});
  const double update_began = unix_now() - 1;  // the engine's clock is this host's
  const auto updated = device.converge(target);
  INFO(updated.transcript());
  REQUIRE(updated.settled);
  report_timing("update " + strategy + " 3 services", updated.seconds);

  const auto after = containers_of(device);
  REQUIRE(after.size() == 3);
  for (const auto& container : after) {
    const std::string service = label(container, "io.balena.service-name");
    INFO(container.name);
    CHECK(container.state == "running");
    CHECK(container.image == new_image);
    CHECK(container.name == engine::names::container_name(target_service(target, service)));
    for (const auto& old : before) CHECK(container.id != old.id);  // recreated, not renamed
    if (service != "worker") CHECK(mounts_volume(container, volume));
  }
  CHECK(volume_names(device) == std::vector<std::string>{volume});
  CHECK(device.run_in_volume(volume, "grep -qx " + marker + " /data/marker") == 0);
  CHECK(device.snapshot().current.apps.at(0).commit == second.commit);

  // The order the strategy promises, from the batches that ran.
  for (const std::string service : {"api", "db", "worker"}) {
    INFO(service);
    const int fetched = updated.batch_of("fetch", service);
    const int killed = updated.batch_of("kill", service);
    const int started = updated.batch_of("start", service);
    CHECK(fetched > 0);
    if (strategy == "download-then-kill") {
      CHECK(fetched < killed);
      CHECK(killed < started);
    } else if (strategy == "kill-then-download" || strategy == "delete-then-download") {
      CHECK(killed > 0);
      CHECK(killed < fetched);
      CHECK(fetched < started);
    } else {  // hand-over: the new container starts before the old one goes
      CHECK(fetched < updated.batch_of("handover", service));
      CHECK(killed == 0);
      CHECK(started == 0);
    }
  }
  // The same order as the engine saw it: when the new image was pulled, when
  // each old container died and each new one started.
  const auto events = engine_events(update_began);
  const std::int64_t first_pull = event_time(events, "image", "pull", new_image, Which::First);
  const std::int64_t last_pull = event_time(events, "image", "pull", new_image, Which::Last);
  REQUIRE(first_pull > 0);
  for (const auto& old : before) {
    const std::string service = label(old, "io.balena.service-name");
    INFO(service);
    const auto fresh = std::find_if(after.begin(), after.end(), [&](const ContainerView& c) {
      return label(c, "io.balena.service-name") == service;
    });
    REQUIRE(fresh != after.end());
    const std::int64_t died = event_time(events, "container", "die", old.id, Which::First);
    const std::int64_t started = event_time(events, "container", "start", fresh->id, Which::First);
    REQUIRE(died > 0);
    REQUIRE(started > 0);
    if (strategy == "download-then-kill") {
      CHECK(last_pull < died);  // it ran while the new image downloaded
      CHECK(died < started);
    } else if (strategy == "hand-over") {
      CHECK(last_pull < started);
      CHECK(started < died);  // both ran at once: no gap in service
    } else {
      CHECK(died < first_pull);  // gone before the download began
      CHECK(died < started);
    }
  }

  if (strategy == "delete-then-download") {
    // The old image is given up before the new one is downloaded.
    int removed = 0;
    for (const auto& outcome : updated.outcomes) {
      const auto* remove = std::get_if<reconcile::RemoveImage>(&outcome.step);
      if (remove != nullptr && remove->image.name == old_image && removed == 0) removed = outcome.batch;
    }
    CHECK(removed > 0);
    CHECK(removed <= updated.batch_of("fetch", "api"));
  }
  CHECK_FALSE(image_exists(old_image));  // every record of the old release is gone

  remove_everything(device);
  CHECK_FALSE(image_exists(new_image));
}

}  // namespace

TEST_CASE("an update with download-then-kill recreates every service and keeps the volume's data",
          "[runtime][update]") {
  check_update("download-then-kill");
}

TEST_CASE("an update with kill-then-download recreates every service and keeps the volume's data",
          "[runtime][update]") {
  check_update("kill-then-download");
}

TEST_CASE("an update with delete-then-download recreates every service and keeps the volume's data",
          "[runtime][update]") {
  check_update("delete-then-download");
}

TEST_CASE("an update with hand-over recreates every service and keeps the volume's data", "[runtime][update]") {
  check_update("hand-over");
}

// Regression (bench/faults, power_loss campaign): the daemon died after a
// hand-over had renamed the old container to old_<name> and before it
// started the new one. Every later hand-over asked the engine for the same
// rename, got 400 ("same name as its current name") and the service never
// moved to its new release.
TEST_CASE("a hand-over cut off after renaming the old container finishes when it runs again",
          "[runtime][update][regression]") {
  Device device;
  const auto app = device.new_app();
  const std::string image = device.tag_busybox("handover-cut");
  const auto first = release(device, three_services(image, "hand-over"));
  const auto installed = device.converge(device.target({{app, first}}));
  INFO(installed.transcript());
  REQUIRE(installed.settled);
  const auto old_worker = container_of(device, "worker");
  REQUIRE(old_worker);

  // What the cut-off hand-over had done: restart policy cleared, renamed.
  auto second = release(device, three_services(image, "hand-over"));
  for (auto& service : second.services) service.composition["environment"] = {{"RELEASE", "2"}};
  const auto target = device.target({{app, second}});
  REQUIRE(testenv::client().update_restart_policy(old_worker->id, {}).ok());
  const std::string old_name = "old_" + old_worker->name;
  REQUIRE(testenv::client().rename_container(old_worker->id, old_name).ok());

  const auto updated = device.converge(target, {.failures = Failures::Tolerated});
  INFO(updated.transcript());
  CHECK(updated.failures().empty());
  REQUIRE(updated.settled);
  const auto all = containers_of(device);
  const auto workers = std::count_if(all.begin(), all.end(), [](const ContainerView& c) {
    return label(c, "io.balena.service-name") == "worker";
  });
  CHECK(workers == 1);
  const auto worker = container_of(device, "worker");
  REQUIRE(worker);
  CHECK(worker->name == engine::names::container_name(target_service(target, "worker")));
  CHECK(worker->id != old_worker->id);
  CHECK(worker->state == "running");

  remove_everything(device);
}

TEST_CASE("a service with running: false is created and never started", "[runtime][running]") {
  Device device;
  const auto app = device.new_app();
  const std::string image = device.tag_busybox("r1");
  auto spec = release(device, three_services(image));
  spec.services[2].running = false;  // worker
  const auto target = device.target({{app, spec}});
  const auto installed = device.converge(target);
  INFO(installed.transcript());
  REQUIRE(installed.settled);

  const auto worker = container_of(device, "worker");
  REQUIRE(worker);
  CHECK(worker->state == "created");
  CHECK(worker->name == engine::names::container_name(target_service(target, "worker")));
  CHECK(container_of(device, "api")->state == "running");
  CHECK(container_of(device, "db")->state == "running");

  // Settled means settled: the planner does not try to start it later.
  const auto again = device.converge(target);
  CHECK(again.settled);
  CHECK(again.outcomes.empty());
  CHECK(container_of(device, "worker")->state == "created");

  remove_everything(device);
}

TEST_CASE("a service with the supervisor-api feature runs with its own stored key, kept when it is recreated",
          "[runtime][api-key]") {
  Device device;
  const auto app = device.new_app();
  const std::string image = device.tag_busybox("r1");
  auto spec = release(device, three_services(image));
  // worker asks for the supervisor API (host networking: no supervisor0 needed).
  spec.services[2].labels["io.balena.features.supervisor-api"] = "1";
  spec.services[2].composition["network_mode"] = "host";
  const auto env_of = [&](const std::string& service) {
    const auto container = container_of(device, service);
    REQUIRE(container);
    std::map<std::string, std::string> env;
    for (const auto& entry : container->raw["Config"]["Env"]) {
      const std::string text = entry.get<std::string>();
      env[text.substr(0, text.find('='))] = text.substr(text.find('=') + 1);
    }
    return env;
  };
  const auto installed = device.converge(device.target({{app, spec}}));
  INFO(installed.transcript());
  REQUIRE(installed.settled);
  const auto stored = device.api_keys().service_key(app.app_id, "worker");
  REQUIRE(stored);
  CHECK(stored.value().size() == 32);
  CHECK(env_of("worker")["BALENA_SUPERVISOR_API_KEY"] == stored.value());
  CHECK(env_of("worker")["RESIN_SUPERVISOR_API_KEY"] == stored.value());
  CHECK_FALSE(env_of("db").contains("BALENA_SUPERVISOR_API_KEY"));
  const auto scope = device.api_keys().scope_of(stored.value());
  REQUIRE(scope);
  REQUIRE(scope.value());
  CHECK(scope.value()->app == app.app_id);

  // A new release recreates the container: the key stays the same.
  auto next = spec;
  next.services[2].composition["environment"] = {{"RELEASE", "2"}};
  const auto updated = device.converge(device.target({{app, release(device, next.services)}}));
  INFO(updated.transcript());
  REQUIRE(updated.settled);
  CHECK(env_of("worker")["RELEASE"] == "2");
  CHECK(env_of("worker")["BALENA_SUPERVISOR_API_KEY"] == stored.value());

  remove_everything(device);
}

TEST_CASE("depends_on starts a service only once its dependency runs", "[runtime][depends_on]") {
  Device device;
  const auto app = device.new_app();
  const std::string image = device.tag_busybox("r1");
  // frontend -> api -> db: three starts in three batches.
  auto spec = release(device, three_services(image));
  spec.services[0].composition["depends_on"] = {"db"};       // api
  spec.services[2].name = "frontend";
  spec.services[2].composition["depends_on"] = {"api"};
  const auto installed = device.converge(device.target({{app, spec}}));
  INFO(installed.transcript());
  REQUIRE(installed.settled);

  const int db = installed.batch_of("start", "db");
  const int api = installed.batch_of("start", "api");
  const int frontend = installed.batch_of("start", "frontend");
  CHECK(db > 0);
  CHECK(db < api);
  CHECK(api < frontend);

  const auto db_container = container_of(device, "db");
  const auto api_container = container_of(device, "api");
  const auto frontend_container = container_of(device, "frontend");
  REQUIRE(db_container);
  REQUIRE(api_container);
  REQUIRE(frontend_container);
  for (const auto* container : {&*db_container, &*api_container, &*frontend_container}) {
    CHECK(container->state == "running");
  }
  CHECK(started_seconds(db_container->started_at) <= started_seconds(api_container->started_at));
  CHECK(started_seconds(api_container->started_at) <= started_seconds(frontend_container->started_at));

  remove_everything(device);
}

TEST_CASE("removing an app removes its containers, networks and volumes", "[runtime][removal]") {
  Device device;
  const auto app = device.new_app();
  const std::string image = device.tag_busybox("r1");
  const auto installed = device.converge(device.target({{app, release(device, three_services(image))}}));
  INFO(installed.transcript());
  REQUIRE(installed.settled);
  REQUIRE(containers_of(device).size() == 3);
  REQUIRE(network_names(device).size() == 2);
  REQUIRE(volume_names(device).size() == 1);

  const auto removed = device.converge(reconcile::State{});
  INFO(removed.transcript());
  REQUIRE(removed.settled);
  report_timing("remove app 3 services", removed.seconds);
  CHECK(containers_of(device).empty());
  CHECK(network_names(device).empty());
  CHECK(volume_names(device).empty());
  CHECK_FALSE(image_exists(image));
  CHECK(device.snapshot().current.apps.empty());
  // Every container went before its network and volume.
  int last_kill = 0;
  int first_component = 0;
  for (const auto& outcome : removed.outcomes) {
    if (std::holds_alternative<reconcile::Kill>(outcome.step)) last_kill = outcome.batch;
    if ((std::holds_alternative<reconcile::RemoveNetwork>(outcome.step) ||
         std::holds_alternative<reconcile::RemoveVolume>(outcome.step)) &&
        first_component == 0) {
      first_component = outcome.batch;
    }
  }
  CHECK(last_kill > 0);
  CHECK(last_kill < first_component);
}

TEST_CASE("removing an app keeps its volumes when the device keeps volumes (local mode)", "[runtime][removal]") {
  Device device(DeviceOptions{.keep_volumes = true});
  const auto app = device.new_app();
  const std::string image = device.tag_busybox("r1");
  const auto installed = device.converge(device.target({{app, release(device, three_services(image))}}));
  INFO(installed.transcript());
  REQUIRE(installed.settled);
  const std::string volume = std::to_string(app.app_id) + "_data";
  REQUIRE(device.run_in_volume(volume, "echo kept > /data/marker") == 0);

  const auto removed = device.converge(reconcile::State{});
  INFO(removed.transcript());
  REQUIRE(removed.settled);
  CHECK(containers_of(device).empty());
  CHECK(network_names(device).empty());
  CHECK(volume_names(device) == std::vector<std::string>{volume});
  CHECK(device.run_in_volume(volume, "grep -qx kept /data/marker") == 0);
  // The Device's cleanup removes the volume.
}

TEST_CASE("an image that does not exist fails its fetch step while the other app converges",
          "[runtime][errors]") {
  Device device;
  const auto healthy = device.new_app();
  const auto broken = device.new_app();
  const std::string image = device.tag_busybox("r1");
  const std::string ghost = missing_image(device);

  const auto healthy_release = release(device, three_services(image));
  auto broken_release = release(device, three_services(image));
  broken_release.services[2].image = ghost;  // worker
  const auto target = device.target({{healthy, healthy_release}, {broken, broken_release}});
  const auto run = device.converge(target, ConvergeOptions{.max_batches = 12, .failures = Failures::Tolerated});
  INFO(run.transcript());
  CHECK_FALSE(run.settled);
  CHECK(run.stuck);  // nothing left but the failing fetch, again and again

  // Every failure is the fetch of the missing image, and says why.
  const auto failures = run.failures();
  REQUIRE_FALSE(failures.empty());
  for (const auto& failure : failures) {
    const auto* fetch = std::get_if<reconcile::Fetch>(&failure.step);
    REQUIRE(fetch != nullptr);
    CHECK(fetch->image.name == ghost);
    CHECK(fetch->image.app_id == broken.app_id);
    CHECK_THAT(failure.result.status.error().message, Catch::Contains("missing-" + device.scope()));
  }

  // The healthy app runs its release.
  int healthy_running = 0;
  int broken_containers = 0;
  for (const auto& container : containers_of(device)) {
    if (label(container, "io.balena.app-id") == std::to_string(healthy.app_id)) {
      CHECK(container.state == "running");
      ++healthy_running;
    } else {
      ++broken_containers;
    }
  }
  CHECK(healthy_running == 3);
  // The broken app waits, as balena does, until every image of its release
  // is on the device before it starts a new container.
  CHECK(broken_containers == 0);

  // With an image that exists, the broken app converges too.
  broken_release.services[2].image = image;
  const auto fixed = device.converge(device.target({{healthy, healthy_release}, {broken, broken_release}}));
  INFO(fixed.transcript());
  REQUIRE(fixed.settled);
  CHECK(containers_of(device).size() == 6);

  remove_everything(device);
}

TEST_CASE("a supervised container whose labels cannot be read fails the snapshot instead of vanishing",
          "[runtime][errors]") {
  Device device;
  const auto app = device.new_app();
  auto labels = device.object_labels();
  labels["io.balena.supervised"] = "true";
  labels["io.balena.app-id"] = fmt::to_string(app.app_id);
  labels["io.balena.service-id"] = "not-a-number";
  const nlohmann::json body = {{"Image", testenv::env().busybox_image}, {"Cmd", {"true"}}, {"Labels", labels}};
  const std::string name = fmt::format("web_1_1_{}", device.new_commit());
  auto created = testenv::client().create_container(name, engine::docker::body(body));
  REQUIRE(created.ok());

  // Left out, the planner would create a second container for the service.
  engine::Snapshot snapshot;
  const auto read = device.try_snapshot(snapshot);
  REQUIRE_FALSE(read.ok());
  CHECK_THAT(read.error().message, Catch::Contains(name));

  testenv::remove_container_quietly(created.value());
  CHECK(device.try_snapshot(snapshot).ok());
}

}  // namespace runtime_test
