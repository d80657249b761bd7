// Planner behaviour beyond the shared conformance cases: one realistic
// device, small named changes, the expected batch.
#include <algorithm>
#include <random>

#include "support.hpp"

using Catch::Matchers::Equals;
using Catch::Matchers::VectorContains;

namespace {

// A device running release r1 of app 1 (web + db on the default network,
// db with a volume), everything recorded, no lock held.
constexpr const char* kDevice = R"({
  "current": {"apps": [{"appId": 1, "commit": "r1", "services": [
    {"serviceName": "web", "serviceId": 1, "commit": "r1", "image": "web:1", "containerId": "w1",
     "composition": {"depends_on": ["db"], "restart": "always"}},
    {"serviceName": "db", "serviceId": 2, "commit": "r1", "image": "db:1", "containerId": "d1",
     "composition": {"volumes": ["data:/var/lib/db"]}}],
    "networks": [{"name": "default"}], "volumes": [{"name": "data"}]}]},
  "target": {"apps": [{"appId": 1, "commit": "r1", "services": [
    {"serviceName": "web", "serviceId": 1, "commit": "r1", "image": "web:1",
     "composition": {"depends_on": ["db"], "restart": "always"}},
    {"serviceName": "db", "serviceId": 2, "commit": "r1", "image": "db:1",
     "composition": {"volumes": ["data:/var/lib/db"]}}],
    "networks": [{"name": "default"}], "volumes": [{"name": "data"}]}]},
  "context": {}
})";

reconcile::PlanRequest device() { return test::request(kDevice); }

reconcile::Service& target_service(reconcile::PlanRequest& r, const std::string& name) {
  for (auto& s : r.target.apps.at(0).services) {
    if (s.service_name == name) return s;
  }
  FAIL("no target service " << name);
  throw;
}

}  // namespace

TEST_CASE("a device already on its target plans nothing") {
  CHECK(test::plan(device()).empty());
}

TEST_CASE("a settled device that still holds its lock releases it") {
  auto r = device();
  r.context.locks_held.insert(1);
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{"releaseLock app 1"}));
}

TEST_CASE("a settled app whose recorded commit differs records the target commit") {
  auto r = device();
  r.current.apps[0].commit = "r0";
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{"updateCommit app 1 -> r1"}));
}

TEST_CASE("a lock held for an app that exists nowhere is released") {
  auto r = device();
  r.context.locks_held.insert(42);
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{"releaseLock app 42"}));
}

TEST_CASE("a new image is fetched before anything is stopped (download-then-kill)") {
  auto r = device();
  target_service(r, "web").image = "web:2";
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"fetch"}));
}

TEST_CASE("a dependency being recreated holds back the start of its dependant") {
  auto r = device();
  r.context.locks_held.insert(1);
  // web is gone (killed earlier) and db is being updated.
  r.current.apps[0].services.erase(r.current.apps[0].services.begin());
  target_service(r, "db").image = "db:2";
  r.context.available_images.push_back(reconcile::image_of(target_service(r, "db")));
  const auto steps = test::actions(r);
  CHECK_THAT(steps, VectorContains(std::string("kill")));
  CHECK_THAT(steps, !VectorContains(std::string("start")));
}

TEST_CASE("keepImages keeps images nothing uses") {
  auto r = device();
  reconcile::Image old;
  old.name = "web:0";
  old.service_name = "web";
  r.context.available_images.push_back(old);
  CHECK_THAT(test::plan(r), VectorContains(std::string("removeImage web:0 (app 1 service web, commit main-commit)")));
  r.context.keep_images = true;
  CHECK(test::plan(r).empty());
}

TEST_CASE("an image used by a running container is never removed, even with another record") {
  auto r = device();
  reconcile::Image stale = reconcile::image_of(r.current.apps[0].services[0]);
  stale.commit = "r0";  // a record of the same image from an older release
  r.context.available_images.push_back(stale);
  CHECK_THAT(test::actions(r), !VectorContains(std::string("removeImage")));
}

TEST_CASE("hand-over starts the new container beside the old one without the lock") {
  auto r = device();
  auto& web = target_service(r, "web");
  web.image = "web:2";
  r.context.available_images.push_back(reconcile::image_of(web));
  // Give the target the hand-over strategy through its composition.
  auto parsed = reconcile::service_from_json(
      nlohmann::json{{"serviceName", "web"}, {"serviceId", 1}, {"commit", "r1"}, {"image", "web:2"},
                     {"labels", {{"io.balena.update.strategy", "hand-over"}}},
                     {"composition", {{"depends_on", {"db"}}, {"restart", "always"}}}},
      false, r.context.now);
  REQUIRE(parsed.ok());
  web = parsed.value();
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"handover"}));
}

TEST_CASE("a service that requires a reboot waits for it once the breadcrumb is set") {
  auto r = test::request(R"({
    "current": {"apps": [{"services": [{"status": "Installed", "running": false,
      "labels": {"io.balena.update.requires-reboot": "true"}, "createdAt": "2026-01-01T00:20:00Z"}],
      "networks": [{"name": "default"}]}]},
    "target": {"apps": [{"services": [{"labels": {"io.balena.update.requires-reboot": "true"}}]}]},
    "context": {"now": "2026-01-01T00:30:00Z", "bootTime": "2026-01-01T00:10:00Z",
                "rebootBreadcrumbSet": true}
  })");
  CHECK(test::plan(r).empty());
  r.context.reboot_breadcrumb_set = false;
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"requireReboot"}));
  r.context.boot_time = r.context.now;  // rebooted since the container was created
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"start"}));
}

TEST_CASE("the older of two containers of a service is killed, the newest kept") {
  auto r = device();
  r.context.locks_held.insert(1);
  auto older = r.current.apps[0].services[0];
  older.container_id = "w0";
  older.created_at -= 60;
  r.current.apps[0].services.push_back(older);
  const auto lines = test::plan(r);
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::Matchers::StartsWith("kill app 1 service web") &&
                           Catch::Matchers::Contains("container w0"));
}

TEST_CASE("a removed app is killed under one lock, then its network and volume go") {
  auto r = device();
  r.target.apps.clear();
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{"takeLock app 1 services db web"}));
  r.context.locks_held.insert(1);
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"kill", "kill"}));
  r.current.apps[0].services.clear();
  r.context.available_images.clear();  // their images went first
  CHECK_THAT(test::plan(r),
             Equals(std::vector<std::string>{"removeNetwork app 1 default", "removeVolume app 1 data"}));
  r.context.keep_volumes = true;
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{"removeNetwork app 1 default"}));
}

TEST_CASE("force is carried on the takeLock step") {
  auto stop = test::request(R"({"current": {"apps": [{"services": [{}], "networks": [{"name": "default"}]}]},
                                "target": {"apps": [{"services": [{"running": false}]}]},
                                "context": {"force": true}})");
  const auto steps = reconcile::next_steps(stop.current, stop.target, stop.context);
  REQUIRE(steps.size() == 1);
  REQUIRE(std::holds_alternative<reconcile::TakeLock>(steps[0]));
  CHECK(std::get<reconcile::TakeLock>(steps[0]).force);
}

TEST_CASE("the plan does not depend on the order of the input lists") {
  auto r = test::request(R"({
    "current": {"apps": [
      {"appId": 2, "services": [{"serviceName": "a", "appId": 2}, {"serviceName": "b", "appId": 2}]},
      {"appId": 1, "services": [{"serviceName": "x"}, {"serviceName": "y", "status": "Dead"}]}]},
    "target": {"apps": [
      {"appId": 1, "services": [{"serviceName": "x", "image": "x:2"}, {"serviceName": "z", "image": "z:1"}],
       "networks": [{"name": "n1"}, {"name": "n2"}], "volumes": [{"name": "v1"}, {"name": "v2"}]}]},
    "context": {"locksHeld": [1, 2]}
  })");
  const auto expected = test::plan(r);
  std::mt19937 random(7);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(r.current.apps.begin(), r.current.apps.end(), random);
    for (auto& app : r.current.apps) std::shuffle(app.services.begin(), app.services.end(), random);
    for (auto& app : r.target.apps) {
      std::shuffle(app.services.begin(), app.services.end(), random);
      std::shuffle(app.networks.begin(), app.networks.end(), random);
      std::shuffle(app.volumes.begin(), app.volumes.end(), random);
    }
    std::shuffle(r.context.available_images.begin(), r.context.available_images.end(), random);
    CHECK(test::plan(r) == expected);
  }
}

// Images the engine holds without a record of the supervisor's (built on the
// device, or the store was lost), removal of shared images, and containers
// that are started rather than created.
namespace {

reconcile::EngineImage engine_image(std::string id, std::vector<std::string> references) {
  return reconcile::EngineImage{std::move(id), std::move(references)};
}

// The device, with the engine's images listed and app 1's lock held.
reconcile::PlanRequest device_with_engine_images() {
  auto r = device();
  r.context.locks_held.insert(1);
  r.context.engine_images = {engine_image("sha256:w1", {"web:1"}), engine_image("sha256:d1", {"db:1"})};
  return r;
}

// A new service `cache` in the target, on image `image`.
reconcile::PlanRequest with_new_service(reconcile::PlanRequest r, const std::string& image) {
  reconcile::Service cache = target_service(r, "db");
  cache.service_name = "cache";
  cache.service_id = 3;
  cache.image = image;
  r.target.apps[0].services.push_back(cache);
  return r;
}

template <typename T>
std::vector<T> steps_of(const reconcile::PlanRequest& r) {
  std::vector<T> out;
  for (const auto& step : reconcile::next_steps(r.current, r.target, r.context)) {
    if (const auto* s = std::get_if<T>(&step)) out.push_back(*s);
  }
  return out;
}

}  // namespace

TEST_CASE("a new service whose image the engine already holds is recorded, not pulled") {
  auto r = with_new_service(device_with_engine_images(), "cache:1");
  r.context.engine_images.push_back(engine_image("sha256:c1", {"cache:1", "registry/cache@sha256:77"}));
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{"saveImage cache:1 (app 1 service cache, commit r1)"}));
  const auto saved = steps_of<reconcile::SaveImage>(r);
  REQUIRE(saved.size() == 1);
  CHECK(saved[0].image.docker_image_id == "sha256:c1");
}

TEST_CASE("an image named without a tag is found on the engine under its latest tag") {
  auto r = with_new_service(device_with_engine_images(), "registry:5000/cache");
  r.context.engine_images.push_back(engine_image("sha256:c1", {"registry:5000/cache:latest"}));
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"saveImage"}));
}

TEST_CASE("while another image downloads, an image the engine holds is recorded in place of a fetch") {
  auto r = with_new_service(device_with_engine_images(), "cache:1");
  r.context.engine_images.push_back(engine_image("sha256:c1", {"cache:1"}));
  target_service(r, "web").image = "web:2";
  r.context.downloading = {"web:2"};
  const auto steps = test::actions(r);
  CHECK_THAT(steps, VectorContains(std::string("saveImage")));
  CHECK_THAT(steps, !VectorContains(std::string("fetch")));
}

TEST_CASE("an image the engine holds only under another tag is still fetched") {
  auto r = with_new_service(device_with_engine_images(), "cache:1");
  r.context.engine_images.push_back(engine_image("sha256:c0", {"cache:0"}));
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{"fetch cache:1 (app 1 service cache, commit r1)"}));
}

TEST_CASE("a record removed while a kept record names the same engine image leaves the engine's copy") {
  auto r = device_with_engine_images();
  reconcile::Image current_web = reconcile::image_of(r.current.apps[0].services[0]);
  current_web.docker_image_id = "sha256:w1";
  reconcile::Image old_web = current_web;  // an older release's tag of the same image
  old_web.name = "web:0";
  old_web.commit = "r0";
  r.context.available_images = {current_web, reconcile::image_of(r.current.apps[0].services[1]), old_web};
  const auto removed = steps_of<reconcile::RemoveImage>(r);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].image == old_web);
  CHECK(removed[0].engine_copy == reconcile::EngineCopy::Keep);
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{
                                "removeImage web:0 (app 1 service web, commit r0), engine copy kept"}));
}

TEST_CASE("a removed record whose image no other record names deletes the engine's copy") {
  auto r = device_with_engine_images();
  reconcile::Image old_web = reconcile::image_of(r.current.apps[0].services[0]);
  old_web.name = "web:0";
  old_web.docker_image_id = "sha256:w0";
  r.context.available_images.push_back(old_web);
  const auto removed = steps_of<reconcile::RemoveImage>(r);
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].engine_copy == reconcile::EngineCopy::Delete);
}

TEST_CASE("a container that was created but never started is started as it is, not created again") {
  auto r = device();
  auto& db = r.current.apps[0].services[1];
  db.status = reconcile::ServiceStatus::Installed;
  db.running = false;
  const auto started = steps_of<reconcile::Start>(r);
  REQUIRE(started.size() == 1);
  CHECK(started[0].target.service_name == "db");
  CHECK(started[0].target.container_id == "d1");
}

TEST_CASE("a new service gets a start without a container id: the executor creates its container") {
  auto r = device();
  r.context.locks_held.insert(1);
  r.current.apps[0].services.erase(r.current.apps[0].services.begin());  // web was killed
  const auto started = steps_of<reconcile::Start>(r);
  REQUIRE(started.size() == 1);
  CHECK(started[0].target.service_name == "web");
  CHECK_FALSE(started[0].target.container_id.has_value());
}

TEST_CASE("a running container that already matches its target is not fetched again when its image has no record") {
  // The container was created from the engine's image id (as the balena
  // supervisor creates them), so it names the image by id; the store lost
  // web's record, and the engine holds web:1 as that id.
  auto r = device_with_engine_images();
  auto& web = r.current.apps[0].services[0];
  web.image = "sha256:w1";
  web.docker_image_id = "sha256:w1";
  r.context.available_images = {reconcile::image_of(r.current.apps[0].services[1])};
  CHECK_THAT(test::actions(r), !VectorContains(std::string("fetch")));
  CHECK_THAT(test::actions(r), !VectorContains(std::string("kill")));
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{"saveImage web:1 (app 1 service web, commit r1)"}));

  // Once recorded, nothing is left to do.
  for (const auto& saved : steps_of<reconcile::SaveImage>(r)) r.context.available_images.push_back(saved.image);
  CHECK_THAT(test::plan(r), Equals(std::vector<std::string>{"releaseLock app 1"}));
}

TEST_CASE("a dependency whose container was created but never started holds back its dependant") {
  // db is not to run: its container is created and stays so; web (killed
  // earlier) depends on it and must not start before db has run.
  auto r = device();
  r.context.locks_held.insert(1);
  r.context.available_images = {reconcile::image_of(target_service(r, "web")),
                                reconcile::image_of(target_service(r, "db"))};
  r.current.apps[0].services.erase(r.current.apps[0].services.begin());
  auto& db = r.current.apps[0].services[0];
  db.status = reconcile::ServiceStatus::Installed;
  db.running = false;
  target_service(r, "db").running = false;
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"noop"}));

  // Once db has run (it exited since), web starts.
  db.status = reconcile::ServiceStatus::Exited;
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"start"}));
}

TEST_CASE("an exited container whose target runs is left to the restart policy unless a start is asked for") {
  auto r = device();
  auto& db = r.current.apps[0].services[1];
  db.status = reconcile::ServiceStatus::Exited;
  db.running = false;
  CHECK(test::actions(r).empty());  // balena §3.5: not restarted by the supervisor

  // The local API's start-service: the same container is started.
  r.context.start_stopped = true;
  r.context.locks_held.insert(1);
  const auto started = steps_of<reconcile::Start>(r);
  REQUIRE(started.size() == 1);
  CHECK(started[0].target.service_name == "db");
  CHECK(started[0].target.container_id == "d1");
}

// An image rebuilt under the same name (`balena push` in local mode builds
// `local_web` again) is a new image: the engine id the name resolves to
// decides, as the balena supervisor compares them.
TEST_CASE("a service whose image name now resolves to another engine image is recreated") {
  auto r = device_with_engine_images();
  auto& web = r.current.apps[0].services[0];
  web.docker_image_id = "sha256:w0";  // created from the image web:1 named before the rebuild
  r.context.available_images = {reconcile::image_of(web), reconcile::image_of(r.current.apps[0].services[1])};
  const auto killed = steps_of<reconcile::Kill>(r);
  REQUIRE(killed.size() == 1);
  CHECK(killed[0].current.service_name == "web");

  // The same engine image: nothing to recreate.
  web.docker_image_id = "sha256:w1";
  CHECK(steps_of<reconcile::Kill>(r).empty());
}

TEST_CASE("while either engine id is unknown, images are the same by name") {
  auto r = device();
  r.current.apps[0].services[0].docker_image_id = "sha256:w0";  // the engine lists no image for web:1
  CHECK(test::plan(r).empty());
}

// supervisor0: the network the services that use the supervisor API join.
namespace {

reconcile::PlanRequest device_without_supervisor_network() {
  auto r = device();
  r.context.supervisor_network_ready = false;
  return r;
}

}  // namespace

TEST_CASE("a missing supervisor0 is created first, before anything else, without a lock") {
  auto r = device_without_supervisor_network();
  target_service(r, "web").image = "web:2";  // an update waits for it
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"ensureSupervisorNetwork"}));
  CHECK(reconcile::app_of(reconcile::next_steps(r.current, r.target, r.context).at(0)) == 0);
}

TEST_CASE("services that use the supervisor API are killed before supervisor0 is made anew") {
  // web asks for the API; db too, but on the host's network it reaches it on
  // 127.0.0.1 and is not on supervisor0.
  auto request = nlohmann::json::parse(kDevice);
  auto& current = request["current"]["apps"][0]["services"];
  current[0]["composition"]["labels"] = {{"io.balena.features.supervisor-api", "1"}};
  current[1]["composition"]["labels"] = {{"io.resin.features.supervisor-api", "true"}};
  current[1]["composition"]["network_mode"] = "host";
  request["context"]["supervisorNetworkReady"] = false;
  auto r = test::request(request.dump());
  auto& web = r.current.apps[0].services[0];

  const auto killed = steps_of<reconcile::Kill>(r);
  REQUIRE(killed.size() == 1);
  CHECK(killed[0].current.service_name == "web");
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"kill"}));

  web.status = reconcile::ServiceStatus::Stopping;  // still going: wait for it
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"noop"}));

  r.current.apps[0].services.erase(r.current.apps[0].services.begin());  // gone
  CHECK_THAT(test::actions(r), Equals(std::vector<std::string>{"ensureSupervisorNetwork"}));
}
