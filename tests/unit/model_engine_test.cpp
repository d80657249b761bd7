// The model engine drives the planner through whole updates: the examples
// converge to their target.
#include <fstream>
#include <iterator>

#include "reconcile/model_engine.hpp"
#include "support.hpp"

namespace {

reconcile::PlanRequest example(const std::string& name) {
  std::ifstream in(std::string(RECONCILE_EXAMPLES_DIR) + "/" + name);
  REQUIRE(in);
  return test::request(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
}

// Runs plan/apply until the plan is empty; returns the number of batches.
int converge(reconcile::World& world, const reconcile::State& target, int limit) {
  for (int batch = 0; batch < limit; ++batch) {
    const auto steps = reconcile::next_steps(world.current, target, world.context);
    if (steps.empty()) return batch;
    const bool only_noops = std::all_of(steps.begin(), steps.end(), [](const reconcile::Step& s) {
      return std::holds_alternative<reconcile::Noop>(s);
    });
    if (only_noops) reconcile::finish_downloads(world, target);
    reconcile::apply_batch(world, steps);
  }
  return -1;
}

// Running services by (app, name, commit): what a user would check.
std::vector<std::string> running(const reconcile::State& state) {
  std::vector<std::string> out;
  for (const auto& app : state.apps) {
    for (const auto& s : app.services) {
      if (s.running) out.push_back(std::to_string(app.app_id) + "/" + s.service_name + "@" + s.commit);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("the example update converges to the target release with the lock released") {
  auto r = example("device-update.json");
  reconcile::World world{r.current, r.context};
  const int batches = converge(world, r.target, 50);
  REQUIRE(batches > 0);
  CHECK(running(world.current) == running(r.target));
  CHECK(world.context.locks_held.empty());
  CHECK(world.current.apps.at(0).commit == r.target.apps.at(0).commit);
  // The volume survived the update: nothing removed user data.
  CHECK(world.current.apps.at(0).volumes.size() == 1);
}

TEST_CASE("a fresh install converges and creates the networks and volumes") {
  auto r = example("fresh-install.json");
  reconcile::World world{r.current, r.context};
  REQUIRE(converge(world, r.target, 50) > 0);
  CHECK(running(world.current) == running(r.target));
  const auto& app = world.current.apps.at(0);
  CHECK(app.networks.size() == 2);  // backend + the default network
  CHECK(app.volumes.size() == 1);
}

TEST_CASE("removing every app leaves an empty device") {
  auto r = example("device-update.json");
  reconcile::World world{r.current, r.context};
  REQUIRE(converge(world, reconcile::State{}, 50) > 0);
  CHECK(world.current.apps.empty());
  CHECK(world.context.locks_held.empty());
}

TEST_CASE("stop keeps the container, kill removes it") {
  auto r = test::request(R"({"current": {"apps": [{"services": [{"serviceName": "a", "containerId": "1"},
                                                               {"serviceName": "b", "containerId": "2"}]}]}})");
  reconcile::World world{r.current, r.context};
  const auto& services = r.current.apps[0].services;
  reconcile::apply(world, reconcile::Stop{services[0], ""});
  reconcile::apply(world, reconcile::Kill{services[1], ""});
  REQUIRE(world.current.apps.at(0).services.size() == 1);
  CHECK_FALSE(world.current.apps[0].services[0].running);
  CHECK(world.current.apps[0].services[0].status == reconcile::ServiceStatus::Exited);
}

TEST_CASE("start with a container id starts that container; without one it creates a container") {
  auto r = test::request(R"({"current": {"apps": [{"services": [
      {"serviceName": "a", "containerId": "1", "status": "Installed", "running": false}]}]}})");
  reconcile::World world{r.current, r.context};
  reconcile::Service target = r.current.apps[0].services[0];
  target.running = true;
  target.container_id.reset();
  reconcile::apply(world, reconcile::Start{target, ""});  // no id: a new container
  REQUIRE(world.current.apps.at(0).services.size() == 2);
  CHECK(world.current.apps[0].services[0].status == reconcile::ServiceStatus::Installed);

  world = reconcile::World{r.current, r.context};
  target.container_id = "1";
  reconcile::apply(world, reconcile::Start{target, ""});
  REQUIRE(world.current.apps.at(0).services.size() == 1);
  CHECK(world.current.apps[0].services[0].status == reconcile::ServiceStatus::Running);
  CHECK(world.current.apps[0].services[0].running);
}

TEST_CASE("fetch puts the image on the engine; removeImage deletes the engine's copy unless kept") {
  auto r = test::request(R"({"context": {"availableImages": []}})");
  reconcile::World world{r.current, r.context};
  reconcile::Image image;
  image.name = "web:1";
  reconcile::apply(world, reconcile::Fetch{image, "web", ""});
  REQUIRE(world.context.available_images == std::vector<reconcile::Image>{image});
  REQUIRE(world.context.engine_images.size() == 1);
  CHECK(world.context.engine_images[0].references == std::vector<std::string>{"web:1"});

  reconcile::apply(world, reconcile::RemoveImage{image, reconcile::EngineCopy::Keep, ""});
  CHECK(world.context.available_images.empty());
  CHECK(world.context.engine_images.size() == 1);
  reconcile::apply(world, reconcile::SaveImage{image, ""});  // recorded again: the engine still has it
  CHECK(world.context.available_images.size() == 1);
  reconcile::apply(world, reconcile::RemoveImage{image, reconcile::EngineCopy::Delete, ""});
  CHECK(world.context.available_images.empty());
  CHECK(world.context.engine_images.empty());
}
