// The safety properties, checked on every batch of a run against the world
// the planner saw when it planned that batch.
#include <algorithm>
#include <set>

#include "facts.hpp"
#include "reconcile/plan_text.hpp"
#include "reconcile/testing/properties.hpp"

namespace reconcile::testing {
namespace {

using detail::find_app;
using detail::find_service;

std::string violation(const Step& step, const std::string& why) { return describe(step) + ": " + why; }

const Service* container_in(const World& world, const Service& named) {
  const App* app = find_app(world.current, named.app_id);
  if (app == nullptr) return nullptr;
  for (const Service& service : app->services) {
    if (named.container_id ? service.container_id == named.container_id : service == named) return &service;
  }
  return nullptr;
}

// A Start that only starts a container created earlier for that very
// release (never started, or exited on the userland-proxy error): the
// reference starts those without the lock (§3.5, conformance app-055).
bool starts_existing(const World& world, const Service& target) {
  const App* app = find_app(world.current, target.app_id);
  if (app == nullptr) return false;
  return std::any_of(app->services.begin(), app->services.end(), [&](const Service& c) {
    return c.service_name == target.service_name && c.status != ServiceStatus::Running &&
           c.status != ServiceStatus::Dead && detail::runs_release_of(c, target);
  });
}

// §3.9: kill, stop, updateMetadata, removing a live container and creating
// a container need the app's lock; a user's lock refuses them unless force.
// Removing a dead container, starting an existing created one and hand-over
// are not lock-gated (§3.9, §12).
std::optional<std::string> user_locks(const Batch& batch) {
  if (batch.before.context.force) return std::nullopt;
  for (const Step& step : batch.steps) {
    if (!batch.user_locks.contains(app_of(step))) continue;
    const std::string why = "a user service holds the app's update lock and force is off";
    if (std::holds_alternative<Kill>(step) || std::holds_alternative<Stop>(step) ||
        std::holds_alternative<UpdateMetadata>(step)) {
      return violation(step, why);
    }
    if (const auto* remove = std::get_if<Remove>(&step); remove != nullptr) {
      const Service* container = container_in(batch.before, remove->current);
      if (container == nullptr || container->status != ServiceStatus::Dead) return violation(step, why);
    }
    if (const auto* start = std::get_if<Start>(&step); start != nullptr && !starts_existing(batch.before, start->target)) {
      return violation(step, why + " (the start creates a container)");
    }
  }
  return std::nullopt;
}

// §3.3 download-then-kill: a container of an app that stays is killed only
// once every target image of the app is on the device. The strategy is the
// target service's, or the container's own for a service the release drops.
// Killing an older duplicate while the newest container of the service stays
// is not killing the service.
std::optional<std::string> download_before_kill(const Scenario& scenario, const Batch& batch) {
  std::set<std::string> killed;
  for (const Step& step : batch.steps) {
    if (const auto* kill = std::get_if<Kill>(&step); kill != nullptr && kill->current.container_id) {
      killed.insert(*kill->current.container_id);
    }
  }
  for (const Step& step : batch.steps) {
    const auto* kill = std::get_if<Kill>(&step);
    if (kill == nullptr) continue;
    const Service& container = kill->current;
    const App* target = find_app(scenario.target, container.app_id);
    if (target == nullptr || target->is_rejected) continue;
    const Service* wanted = find_service(*target, container.service_name);
    const UpdateStrategy strategy = wanted != nullptr ? wanted->config().strategy : container.config().strategy;
    if (strategy != UpdateStrategy::DownloadThenKill) continue;
    const App* app = find_app(batch.before.current, container.app_id);
    const bool sibling_stays = app != nullptr && std::any_of(app->services.begin(), app->services.end(), [&](const Service& s) {
      return s.service_name == container.service_name && s.container_id != container.container_id &&
             s.status != ServiceStatus::Dead && !(s.container_id && killed.contains(*s.container_id));
    });
    if (sibling_stays) continue;
    for (const Service& service : target->services) {
      if (!detail::image_available(batch.before.context, service)) {
        return violation(step, "download-then-kill, but image '" + service.image + "' of the target release is not on the device");
      }
    }
  }
  return std::nullopt;
}

// §3.7: an image a container (any app) or a target service (any app,
// rejected ones too) uses is never removed.
std::optional<std::string> images_in_use(const Scenario& scenario, const Batch& batch) {
  for (const Step& step : batch.steps) {
    const auto* remove = std::get_if<RemoveImage>(&step);
    if (remove == nullptr) continue;
    for (const App& app : batch.before.current.apps) {
      for (const Service& c : app.services) {
        const bool by_id = c.docker_image_id && remove->image.docker_image_id &&
                           *c.docker_image_id == *remove->image.docker_image_id;
        if (c.image == remove->image.name || by_id) {
          return violation(step, "container of '" + c.service_name + "' (app " + std::to_string(app.app_id) + ") uses it");
        }
      }
    }
    for (const App& app : scenario.target.apps) {
      for (const Service& t : app.services) {
        if (t.image == remove->image.name) {
          return violation(step, "target service '" + t.service_name + "' (app " + std::to_string(app.app_id) + ") needs it");
        }
      }
    }
  }
  return std::nullopt;
}

// §3.8: a volume of an app that stays in the target is removed only when the
// target declares a volume of that name whose config differs from every
// current volume of that name (it is then created again: the convergence
// property checks that it exists in the end). No volume is removed while a
// container mounts it, nor with keepVolumes when its app goes.
std::optional<std::string> volumes_kept(const Scenario& scenario, const Batch& batch) {
  for (const Step& step : batch.steps) {
    const auto* remove = std::get_if<RemoveVolume>(&step);
    if (remove == nullptr) continue;
    const Volume& volume = remove->current;
    const App* app = find_app(batch.before.current, volume.app_id);
    if (app != nullptr) {
      for (const Service& c : app->services) {
        const auto& mounts = c.config().named_volumes;
        if (std::find(mounts.begin(), mounts.end(), volume.name) != mounts.end()) {
          return violation(step, "container of '" + c.service_name + "' mounts it");
        }
      }
    }
    const App* target = find_app(scenario.target, volume.app_id);
    if (target == nullptr) {
      if (batch.before.context.keep_volumes) return violation(step, "the app goes, but keepVolumes is set");
      continue;
    }
    const auto declared = std::find_if(target->volumes.begin(), target->volumes.end(),
                                       [&](const Volume& v) { return v.name == volume.name; });
    if (declared == target->volumes.end()) {
      return violation(step, "the app stays and the volume holds user data (the target no longer declares it)");
    }
    const bool some_current_equal = app != nullptr && std::any_of(app->volumes.begin(), app->volumes.end(), [&](const Volume& v) {
      return v.name == volume.name && detail::same_config(v, *declared);
    });
    if (some_current_equal) return violation(step, "the app stays and the volume's config does not change");
  }
  return std::nullopt;
}

// §3.4: a target service starts (start or hand-over) only when each of its
// dependencies in the target has a container of the target release that has
// been started (running, or exited after running: restarts are the engine's)
// or, for a dependency the target says must not run, at least exists.
std::optional<std::string> dependencies_first(const Scenario& scenario, const Batch& batch) {
  for (const Step& step : batch.steps) {
    const Service* started = nullptr;
    if (const auto* start = std::get_if<Start>(&step)) started = &start->target;
    if (const auto* handover = std::get_if<Handover>(&step)) started = &handover->target;
    if (started == nullptr) continue;
    const App* target = find_app(scenario.target, started->app_id);
    if (target == nullptr) continue;
    const App* app = find_app(batch.before.current, started->app_id);
    for (const std::string& dependency : started->config().depends_on) {
      const Service* wanted = find_service(*target, dependency);
      if (wanted == nullptr || dependency == started->service_name) continue;
      const bool ready = app != nullptr && std::any_of(app->services.begin(), app->services.end(), [&](const Service& c) {
        if (c.service_name != dependency || c.status == ServiceStatus::Dead) return false;
        if (!detail::runs_release_of(c, *wanted)) return false;
        return !wanted->running || !detail::never_started(c);
      });
      if (!ready) return violation(step, "its dependency '" + dependency + "' does not run its target release yet");
    }
  }
  return std::nullopt;
}

// §3.11: a rejected app is neither installed, updated nor removed: the only
// steps naming it release its lock or remove an image nothing uses.
std::optional<std::string> rejected_untouched(const Scenario& scenario, const Batch& batch) {
  for (const Step& step : batch.steps) {
    const App* target = find_app(scenario.target, app_of(step));
    if (target == nullptr || !target->is_rejected) continue;
    if (std::holds_alternative<ReleaseLock>(step) || std::holds_alternative<RemoveImage>(step) ||
        std::holds_alternative<Noop>(step)) {
      continue;
    }
    return violation(step, "the app's target release is rejected");
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> safety_violation(Property property, const Scenario& scenario, const Batch& batch) {
  switch (property) {
    case Property::UserLocksRespected: return user_locks(batch);
    case Property::DownloadBeforeKill: return download_before_kill(scenario, batch);
    case Property::ImagesInUseKept: return images_in_use(scenario, batch);
    case Property::VolumesKept: return volumes_kept(scenario, batch);
    case Property::DependenciesFirst: return dependencies_first(scenario, batch);
    case Property::RejectedUntouched: return rejected_untouched(scenario, batch);
    default: return std::nullopt;
  }
}

}  // namespace reconcile::testing
