// Each property bites: a copy of the planner with one planted bug (a wrapper
// that drops, adds or reorders steps, or plans on a doctored input) fails
// it. Fixed seeds and no shrinking, so these are quick and reproducible;
// RC_PARAMS does not change them.
#include <algorithm>
#include <catch2/catch.hpp>

#include "reconcile/planner.hpp"
#include "reconcile/testing/properties.hpp"

namespace {

using reconcile::Context;
using reconcile::State;
using reconcile::Step;
using reconcile::testing::Planner;
using reconcile::testing::Property;

bool holds(Property property, const Planner& planner) {
  reconcile::testing::CheckOptions options;
  options.seed = 20260101;
  options.max_success = 1000;
  options.shrink = false;
  options.print = false;
  return reconcile::testing::check(property, planner, options);
}

template <typename T>
bool has(const std::vector<Step>& steps) {
  return std::any_of(steps.begin(), steps.end(), [](const Step& s) { return std::holds_alternative<T>(s); });
}

}  // namespace

TEST_CASE("the unmodified planner passes every property with the planted-bug seed", "[planted]") {
  for (Property property : reconcile::testing::all_properties()) {
    INFO(reconcile::testing::name_of(property));
    CHECK(holds(property, reconcile::next_steps));
  }
}

TEST_CASE("determinism catches a plan that follows the order of the current apps", "[planted]") {
  // Reorders: the batch comes out reversed when the first current app has an even id.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    std::vector<Step> steps = reconcile::next_steps(current, target, context);
    if (!current.apps.empty() && current.apps.front().app_id % 2 == 0) std::reverse(steps.begin(), steps.end());
    return steps;
  };
  CHECK_FALSE(holds(Property::Determinism, buggy));
}

TEST_CASE("convergence catches a planner that never records the release", "[planted]") {
  // Drops: updateCommit.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    std::vector<Step> steps = reconcile::next_steps(current, target, context);
    std::erase_if(steps, [](const Step& s) { return std::holds_alternative<reconcile::UpdateCommit>(s); });
    return steps;
  };
  CHECK_FALSE(holds(Property::Convergence, buggy));
}

TEST_CASE("convergence catches a planner that forgets to release the lock", "[planted]") {
  // Drops: releaseLock.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    std::vector<Step> steps = reconcile::next_steps(current, target, context);
    std::erase_if(steps, [](const Step& s) { return std::holds_alternative<reconcile::ReleaseLock>(s); });
    return steps;
  };
  CHECK_FALSE(holds(Property::Convergence, buggy));
}

TEST_CASE("idempotence catches a planner that always has one more thing to do", "[planted]") {
  // Adds: a noop when there is nothing to do.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    std::vector<Step> steps = reconcile::next_steps(current, target, context);
    if (steps.empty()) steps.emplace_back(reconcile::Noop{"just in case"});
    return steps;
  };
  CHECK_FALSE(holds(Property::Idempotence, buggy));
}

TEST_CASE("the user-lock property catches a planner that skips takeLock", "[planted]") {
  // Drops takeLock and plans as if the supervisor had the lock.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    std::vector<Step> steps = reconcile::next_steps(current, target, context);
    if (!has<reconcile::TakeLock>(steps)) return steps;
    Context locked = context;
    for (const auto& app : current.apps) locked.locks_held.insert(app.app_id);
    for (const auto& app : target.apps) locked.locks_held.insert(app.app_id);
    return reconcile::next_steps(current, target, locked);
  };
  CHECK_FALSE(holds(Property::UserLocksRespected, buggy));
}

TEST_CASE("download-before-kill catches a planner that kills before the images are there", "[planted]") {
  // Plans as if every target image were on the device.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    Context all = context;
    for (const auto& app : target.apps) {
      for (const auto& service : app.services) all.available_images.push_back(reconcile::image_of(service));
    }
    std::vector<Step> steps = reconcile::next_steps(current, target, all);
    std::erase_if(steps, [](const Step& s) {
      return std::holds_alternative<reconcile::SaveImage>(s) || std::holds_alternative<reconcile::RemoveImage>(s);
    });
    return steps.empty() ? reconcile::next_steps(current, target, context) : steps;
  };
  CHECK_FALSE(holds(Property::DownloadBeforeKill, buggy));
}

TEST_CASE("images-in-use catches a planner that removes the images of running containers", "[planted]") {
  // Adds: removeImage for every record whose image a container runs.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    std::vector<Step> steps = reconcile::next_steps(current, target, context);
    for (const auto& image : context.available_images) {
      for (const auto& app : current.apps) {
        for (const auto& service : app.services) {
          if (service.image == image.name) steps.emplace_back(reconcile::RemoveImage{image, reconcile::EngineCopy::Delete, "planted"});
        }
      }
    }
    return steps;
  };
  CHECK_FALSE(holds(Property::ImagesInUseKept, buggy));
}

TEST_CASE("volumes-kept catches a planner that removes volumes the target dropped", "[planted]") {
  // Adds: removeVolume for volumes an app that stays no longer declares.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    std::vector<Step> steps = reconcile::next_steps(current, target, context);
    for (const auto& app : current.apps) {
      const auto t = std::find_if(target.apps.begin(), target.apps.end(),
                                  [&](const reconcile::App& a) { return a.app_id == app.app_id; });
      if (t == target.apps.end()) continue;
      for (const auto& volume : app.volumes) {
        const bool declared = std::any_of(t->volumes.begin(), t->volumes.end(),
                                          [&](const reconcile::Volume& v) { return v.name == volume.name; });
        if (!declared) steps.emplace_back(reconcile::RemoveVolume{volume, "planted"});
      }
    }
    return steps;
  };
  CHECK_FALSE(holds(Property::VolumesKept, buggy));
}

TEST_CASE("dependencies-first catches a planner that ignores depends_on", "[planted]") {
  // Plans on a target whose services depend on nothing.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    State flat = target;
    for (auto& app : flat.apps) {
      for (auto& service : app.services) {
        reconcile::ServiceConfig config = service.config();
        config.depends_on.clear();
        service.set_config(std::move(config));
      }
    }
    std::vector<Step> steps = reconcile::next_steps(current, flat, context);
    // The starts carry the real target, as the buggy planner would.
    for (Step& step : steps) {
      if (auto* start = std::get_if<reconcile::Start>(&step)) {
        for (const auto& app : target.apps) {
          for (const auto& service : app.services) {
            if (app.app_id == start->target.app_id && service.service_name == start->target.service_name) {
              start->target = service;
            }
          }
        }
      }
    }
    return steps;
  };
  CHECK_FALSE(holds(Property::DependenciesFirst, buggy));
}

TEST_CASE("rejected-untouched catches a planner that installs rejected releases", "[planted]") {
  // Plans on a target whose rejections are forgotten.
  const Planner buggy = [](const State& current, const State& target, const Context& context) {
    State accepted = target;
    for (auto& app : accepted.apps) app.is_rejected = false;
    return reconcile::next_steps(current, accepted, context);
  };
  CHECK_FALSE(holds(Property::RejectedUntouched, buggy));
}
