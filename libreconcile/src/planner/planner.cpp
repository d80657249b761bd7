#include "reconcile/planner.hpp"

#include <map>

#include "app_planner.hpp"
#include "images.hpp"

namespace reconcile {

// Tiers, each returning early when it has steps, as the balena supervisor:
// 1. images (save / remove), only while nothing downloads;
// 2. every app: update (in both), removal (current only), install (target
//    only), apps in appId order;
// 3. locks still held for apps that exist nowhere any more are released;
// 4. nothing to do but downloads running: a noop keeps the loop alive.
std::vector<Step> next_steps(const State& current, const State& target, const Context& context) {
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
