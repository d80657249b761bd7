#include "reconcile/planner.hpp"

#include <fmt/format.h>

#include <map>

#include "app_planner.hpp"
#include "images.hpp"

namespace reconcile {
namespace {

// supervisor0 is missing or wrong: the services attached to it go first (the
// engine refuses to remove a network in use, and a container that joined a
// removed one cannot start again), then the network is made anew. As the
// balena supervisor, this comes before everything and holds no update lock.
std::vector<Step> supervisor_network_steps(const State& current) {
  std::vector<Step> steps;
  for (const App& app : current.apps) {
    for (const Service& service : app.services) {
      if (!service.config().joins_supervisor_network) continue;
      if (service.status == ServiceStatus::Stopping) {
        steps.emplace_back(Noop{fmt::format("waiting for '{}' to leave supervisor0", service.service_name)});
      } else {
        steps.emplace_back(Kill{service, "it is attached to supervisor0, which is to be created anew"});
      }
    }
  }
  if (steps.empty()) steps.emplace_back(EnsureSupervisorNetwork{"supervisor0 is missing or not as the supervisor makes it"});
  return steps;
}

}  // namespace

// Tiers, each returning early when it has steps, as the balena supervisor:
// 0. the supervisor's own network, supervisor0;
// 1. images (save / remove), only while nothing downloads;
// 2. every app: update (in both), removal (current only), install (target
//    only), apps in appId order;
// 3. locks still held for apps that exist nowhere any more are released;
// 4. nothing to do but downloads running: a noop keeps the loop alive.
std::vector<Step> next_steps(const State& current, const State& target, const Context& context) {
  if (!context.supervisor_network_ready) return supervisor_network_steps(current);
  const detail::ImageIndex images(context);
  if (!images.any_downloading()) {
    std::vector<Step> steps = detail::image_steps(current, target, context, images);
    if (!steps.empty()) return steps;
  }

  struct Pair {
    const App* current = nullptr;
    const App* target = nullptr;
  };
  std::map<AppId, Pair> apps;
  for (const App& app : current.apps) apps[app.app_id].current = &app;
  for (const App& app : target.apps) apps[app.app_id].target = &app;

  std::vector<Step> steps;
  std::size_t services = 0;
  for (const State* state : {&current, &target}) {
    for (const App& app : state->apps) services += app.services.size();
  }
  steps.reserve(services + 2 * apps.size());
  for (const auto& [app_id, pair] : apps) {
    if (pair.target == nullptr) {
      detail::plan_app_removal(*pair.current, context, steps);
    } else if (pair.current == nullptr) {
      App empty;
      empty.app_id = pair.target->app_id;
      empty.app_uuid = pair.target->app_uuid;
      detail::plan_app_update(empty, *pair.target, context, images, steps);
    } else {
      detail::plan_app_update(*pair.current, *pair.target, context, images, steps);
    }
  }

  for (AppId app_id : context.locks_held) {
    if (!apps.contains(app_id)) {
      steps.emplace_back(ReleaseLock{app_id, "the app is gone from the device and the target"});
    }
  }

  if (steps.empty() && images.any_downloading()) {
    steps.emplace_back(Noop{"waiting for downloads to finish"});
  }
  return steps;
}

}  // namespace reconcile
