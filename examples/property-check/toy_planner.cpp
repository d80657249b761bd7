// The toy planner: first kill every container the target does not hold as
// it is, then create the missing networks and volumes, then fetch missing
// images, then start what is not running. It knows nothing of update
// strategies, locks, dependencies, rejected apps or image cleanup.
#include "toy_planner.hpp"

#include <algorithm>

using namespace reconcile;

namespace {

const App* find_app(const State& state, AppId app_id) {
  const auto it = std::find_if(state.apps.begin(), state.apps.end(), [&](const App& a) { return a.app_id == app_id; });
  return it == state.apps.end() ? nullptr : &*it;
}

const Service* find_service(const App* app, const std::string& name) {
  if (app == nullptr) return nullptr;
  const auto it = std::find_if(app->services.begin(), app->services.end(),
                               [&](const Service& s) { return s.service_name == name; });
  return it == app->services.end() ? nullptr : &*it;
}

bool same_release(const Service& current, const Service& target) {
  return current.image == target.image && current.commit == target.commit &&
         current.config().config_key == target.config().config_key;
}

bool image_available(const Context& context, const std::string& name) {
  return std::any_of(context.available_images.begin(), context.available_images.end(),
                     [&](const Image& image) { return image.name == name; });
}

template <typename Thing>
bool has_named(const std::vector<Thing>& things, const std::string& name) {
  return std::any_of(things.begin(), things.end(), [&](const Thing& t) { return t.name == name; });
}

}  // namespace

std::vector<Step> toy_next_steps(const State& current, const State& target, const Context& context) {
  std::vector<Step> steps;
  for (const App& app : current.apps) {
    for (const Service& service : app.services) {
      const Service* wanted = find_service(find_app(target, app.app_id), service.service_name);
      if (wanted == nullptr || !same_release(service, *wanted)) steps.push_back(Kill{service, "not in the target"});
    }
  }
  if (!steps.empty()) return steps;

  for (const App& app : target.apps) {
    const App* now = find_app(current, app.app_id);
    for (const Network& network : app.networks) {
      if (now == nullptr || !has_named(now->networks, network.name)) steps.push_back(CreateNetwork{network, "missing"});
    }
    for (const Volume& volume : app.volumes) {
      if (now == nullptr || !has_named(now->volumes, volume.name)) steps.push_back(CreateVolume{volume, "missing"});
    }
  }
  if (!steps.empty()) return steps;

  for (const App& app : target.apps) {
    for (const Service& service : app.services) {
      if (!image_available(context, service.image)) {
        const bool pulling = std::find(context.downloading.begin(), context.downloading.end(), service.image) !=
                             context.downloading.end();
        steps.push_back(pulling ? Step{Noop{"image downloading"}} : Step{Fetch{image_of(service), service.service_name, "missing"}});
        continue;
      }
      const Service* now = find_service(find_app(current, app.app_id), service.service_name);
      const bool up = now != nullptr && now->status == ServiceStatus::Running;
      if (service.running && !up) steps.push_back(Start{service, "not running"});
    }
  }
  return steps;
}
