#include "app_planner.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <range/v3/algorithm/any_of.hpp>
#include <range/v3/algorithm/none_of.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/transform.hpp>

#include "fast_hash.hpp"
#include "flat_set.hpp"
#include "service_rules.hpp"

namespace reconcile::detail {
namespace {

// Newest container first, then a total order on the rest, so the plan does
// not depend on the order of the input.
bool newer(const Service* a, const Service* b) {
  if (a->created_at != b->created_at) return a->created_at > b->created_at;
  // Every field Service's == compares: two containers that tie here are equal
  // (the fuzzer found duplicates without ids that differed only in status).
  const auto key = [](const Service* s) {
    return std::tie(s->container_id, s->service_name, s->commit, s->image, s->service_id, s->release_id,
                    s->app_id, s->app_uuid, s->image_id, s->status, s->running, s->exit_error, s->docker_image_id,
                    s->config().config_key, s->config().composition);
  };
  return key(a) < key(b);
}

// The steps of one app, appended to the batch as they are planned, with
// whether each needs the app's update lock (kill, stop, updateMetadata, and
// creating a container).
class AppSteps {
 public:
  explicit AppSteps(std::vector<Step>& out) : out_(out), first_(out.size()) {}

  void add(Step step, bool needs_lock) {
    out_.push_back(std::move(step));
    needs_lock_.push_back(needs_lock);
  }

  // Lock-needing steps of an app whose lock the supervisor does not hold yet
  // become one takeLock covering every service of the app, current and
  // target; a settled app records its release and releases its lock.
  void finish(const App& current, const App* target, const Context& context) {
    const AppId app_id = current.app_id;
    const bool any_lock = std::find(needs_lock_.begin(), needs_lock_.end(), true) != needs_lock_.end();
    if (any_lock && !context.locks_held.contains(app_id)) {
      std::set<std::string> names;
      for (const Service& s : current.services) names.insert(s.service_name);
      if (target != nullptr) {
        for (const Service& s : target->services) names.insert(s.service_name);
      }
      // Keep the steps that need no lock, dead-container removals first.
      std::vector<Step> kept;
      for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t i = 0; i < needs_lock_.size(); ++i) {
          Step& step = out_[first_ + i];
          if (!needs_lock_[i] && std::holds_alternative<Remove>(step) == (pass == 0)) {
            kept.push_back(std::move(step));
          }
        }
        if (pass == 0) {
          kept.emplace_back(TakeLock{app_id, {names.begin(), names.end()}, context.force,
                                     "services of the app must change and the supervisor holds no lock"});
        }
      }
      out_.resize(first_);
      for (Step& step : kept) out_.push_back(std::move(step));
      return;
    }
    if (out_.size() != first_) return;

    // Settled: record the release, then let user services take their locks again.
    if (target != nullptr && target->commit && !target->is_rejected && current.commit != target->commit) {
      out_.emplace_back(UpdateCommit{app_id, *target->commit, "the app runs its target release"});
    }
    if (context.locks_held.contains(app_id) || context.has_leftover_locks) {
      out_.emplace_back(ReleaseLock{app_id, "the app has settled"});
    }
  }

 private:
  std::vector<Step>& out_;
  std::size_t first_;
  std::vector<bool> needs_lock_;
};

class AppUpdatePlanner {
 public:
  AppUpdatePlanner(const App& current, const App& target, const Context& context,
                   const ImageIndex& images, std::vector<Step>& out)
      : steps_(out),
        current_(current),
        target_(target),
        context_(context),
        images_(images),
        components_(compare_components(current, &target)) {
    for (const Service& service : current.services) {
      if (service.status == ServiceStatus::Dead) {
        dead_.push_back(&service);
      } else if (service.status != ServiceStatus::Downloading) {  // not a container
        slots_[service.service_name].containers.push_back(&service);
      }
    }
    for (auto& [name, slot] : slots_) std::sort(slot.containers.begin(), slot.containers.end(), newer);
    all_images_ready_ = true;
    for (const Service& service : target.services) {
      Slot& slot = slots_[service.service_name];
      slot.target = &service;
      slot.image_id = images_.image_id(service);
      all_images_ready_ = all_images_ready_ && images_.on_engine(service);
    }
    for (const auto& [name, slot] : slots_) {
      if (!needs_change(slot)) continue;
      changing_.insert(name);
      // A kill-then-download service that is about to be killed frees its
      // resources first: other updated services download after it is gone.
      const Service* first = slot.containers.empty() ? nullptr : slot.containers.front();
      if (first != nullptr && slot.target != nullptr && is_running(*first) &&
          (slot.target->config().strategy == UpdateStrategy::KillThenDownload ||
           slot.target->config().strategy == UpdateStrategy::DeleteThenDownload) &&
          (special_kill(*first) || !same_config(*first, *slot.target, slot.image_id))) {
        kill_first_pending_ = true;
      }
    }
  }

  void plan() {
    std::sort(dead_.begin(), dead_.end(), newer);
    for (const Service* service : dead_) {
      add(Remove{*service, "the container is dead"}, false);
    }
    for (const auto& [name, slot] : slots_) plan_slot(slot);
    plan_components();
    steps_.finish(current_, &target_, context_);
  }

 private:
  struct Slot {
    const Service* target = nullptr;
    std::optional<std::string_view> image_id;  // the target image's engine id, when known
    std::vector<const Service*> containers;    // live ones, newest first
  };

  void add(Step step, bool needs_lock) { steps_.add(std::move(step), needs_lock); }
  void wait(std::string reason) { add(Noop{std::move(reason)}, false); }
  // A service that cannot start yet waits with a noop, but not while a
  // reboot is pending (§3.4): the reboot happens only once the plan is
  // empty, and the service may be waiting on one that starts after it.
  void wait_to_start(std::string reason) {
    if (!context_.reboot_breadcrumb_set) wait(std::move(reason));
  }

  bool special_kill(const Service& current) const {
    for (const auto& [name, options] : current.config().networks) {
      if (components_.changing_networks.contains(name)) return true;
    }
    return std::any_of(current.config().named_volumes.begin(), current.config().named_volumes.end(),
                       [&](const std::string& v) { return components_.changing_volumes.contains(v); });
  }

  // A container that should run but does not is started only when it never
  // ran, failed on the userland proxy, or a start was asked for; an exited
  // one is otherwise left to the engine's restart policy (§3.5).
  bool startable(const Service& current) const {
    return never_started(current) || failed_on_userland_proxy(current) ||
           (context_.start_stopped && current.status != ServiceStatus::Dead);
  }

  bool needs_change(const Slot& slot) const {
    if (slot.target == nullptr || slot.containers.empty()) return true;
    const Service& current = *slot.containers.front();
    const Service& target = *slot.target;
    if (in_transition(current) || special_kill(current)) return true;
    if (!same_config(current, target, slot.image_id) || !same_release(current, target)) return true;
    if (target.running && !is_running(current)) return startable(current);
    return !target.running && is_running(current);
  }

  // A service may start once its dependencies have settled and have run (a
  // dependency's container that was created but never started does not
  // count as started, whatever its target says), the networks and volumes it
  // uses exist, and (for a new container) every image of the release is on
  // the device.
  bool ready_to_start(const Service& target, bool require_images) const {
    if (require_images && !all_images_ready_) return false;
    for (const std::string& dependency : target.config().depends_on) {
      auto slot = slots_.find(dependency);
      if (slot == slots_.end()) continue;
      if (slot->second.target != nullptr && changing_.contains(dependency)) return false;
      if (ranges::any_of(slot->second.containers, [](const Service* c) { return never_started(*c); })) return false;
    }
    for (const auto& [name, options] : target.config().networks) {
      if (components_.pending_networks.contains(name)) return false;
    }
    return ranges::none_of(target.config().named_volumes,
                           [&](const std::string& v) { return components_.pending_volumes.contains(v); });
  }

  void plan_slot(const Slot& slot) {
    if (slot.target == nullptr) {
      for (const Service* container : slot.containers) plan_removed(*container);
      return;
    }
    for (std::size_t i = 1; i < slot.containers.size(); ++i) {
      const Service& extra = *slot.containers[i];
      if (in_transition(extra)) {
        wait(fmt::format(FMT_COMPILE("waiting for an older container of '{}' to stop"), extra.service_name));
      } else {
        add(Kill{extra, "an older duplicate container of the service; the newest is kept"}, true);
      }
    }
    if (slot.containers.empty()) {
      plan_install(*slot.target);
    } else {
      plan_update(*slot.containers.front(), slot);
    }
  }

  void plan_removed(const Service& current) {
    if (in_transition(current)) {
      wait(fmt::format(FMT_COMPILE("waiting for '{}' to stop"), current.service_name));
    } else if ((current.config().strategy == UpdateStrategy::DownloadThenKill ||
                current.config().strategy == UpdateStrategy::HandOver) &&
               !all_images_ready_) {
      wait(fmt::format(FMT_COMPILE("keeping removed service '{}' until every image of the release is on the device"),
                       current.service_name));
    } else {
      add(Kill{current, "the service is not in the target release"}, true);
    }
  }

  // The target's image has no record: record it when the engine holds it
  // (saveImage, no pull and nothing to wait for), else pull it.
  void fetch_or_wait(const Service& target, bool has_container) {
    if (images_.downloading(target)) {
      wait(fmt::format(FMT_COMPILE("waiting for image '{}' to download"), target.image));
    } else if (images_.engine_image(target)) {
      add(SaveImage{record_for(target, images_),
                    fmt::format(FMT_COMPILE("the engine has image '{}' but the store has no record of it"),
                                target.image)},
          false);
    } else if (has_container && kill_first_pending_) {
      wait(fmt::format(FMT_COMPILE("waiting for kill-then-download services to stop before downloading '{}'"),
                       target.image));
    } else {
      add(Fetch{image_of(target), target.service_name,
                fmt::format(FMT_COMPILE("image '{}' is not on the device"), target.image)},
          false);
    }
  }

  void plan_install(const Service& target) {
    if (images_.needs_download(target)) {
      fetch_or_wait(target, false);
    } else if (ready_to_start(target, true)) {
      add(Start{target, "the service has no container"}, true);
    } else {
      wait_to_start(fmt::format(
          FMT_COMPILE("waiting for the dependencies, networks, volumes or images of '{}' before starting it"),
          target.service_name));
    }
  }

  void plan_update(const Service& current, const Slot& slot) {
    const Service& target = *slot.target;
    if (in_transition(current)) {
      wait(fmt::format(FMT_COMPILE("waiting for '{}' to finish stopping"), current.service_name));
      return;
    }
    const bool needs_download = images_.needs_download(target);
    if (needs_download && images_.downloading(target)) {
      wait(fmt::format(FMT_COMPILE("waiting for image '{}' to download"), target.image));
      return;
    }
    const bool special = special_kill(current);
    if (!special && same_config(current, target, slot.image_id)) {
      plan_same_config(current, target);
      return;
    }
    switch (target.config().strategy) {
      case UpdateStrategy::DownloadThenKill:
        if (needs_download) {
          fetch_or_wait(target, true);
        } else if (all_images_ready_) {
          add(Kill{current, special ? "a network or volume it uses must be recreated or removed"
                                    : "its configuration changed (download-then-kill)"},
              true);
        } else {
          wait(fmt::format(FMT_COMPILE("keeping '{}' running until every image of the release is on the device"),
                           current.service_name));
        }
        break;
      case UpdateStrategy::KillThenDownload:
      case UpdateStrategy::DeleteThenDownload:
        add(Kill{current, target.config().strategy == UpdateStrategy::KillThenDownload
                              ? "its configuration changed (kill-then-download)"
                              : "its configuration changed (delete-then-download)"},
            true);
        break;
      case UpdateStrategy::HandOver:
        if (needs_download) {
          fetch_or_wait(target, true);
        } else if (special && all_images_ready_) {
          add(Kill{current, "a network or volume it uses must be recreated or removed"}, true);
        } else if (ready_to_start(target, true)) {
          add(Handover{current, target, "its configuration changed (hand-over)"}, false);
        } else {
          wait_to_start(
              fmt::format(FMT_COMPILE("waiting for the dependencies of '{}' before hand-over"), target.service_name));
        }
        break;
    }
  }

  void plan_same_config(const Service& current, const Service& target) {
    if (!same_release(current, target)) {
      if (target.config().strategy == UpdateStrategy::DownloadThenKill && !all_images_ready_) {
        wait(fmt::format(FMT_COMPILE("waiting for every image of the release before renaming '{}'"),
                         target.service_name));
      } else {
        add(UpdateMetadata{current, target, "same configuration in a new release"}, true);
      }
    } else if (target.running && !is_running(current) && startable(current)) {
      if (target.config().requires_reboot && current.created_at > context_.boot_time) {
        if (!context_.reboot_breadcrumb_set) {
          add(RequireReboot{target.app_id, target.service_name,
                            "the service starts only after the next reboot"},
              false);
        }
      } else if (ready_to_start(target, false)) {
        // The container is started as it is, not created again.
        Service start = target;
        start.container_id = current.container_id;
        add(Start{std::move(start), never_started(current)               ? "the container was created but never started"
                                    : failed_on_userland_proxy(current) ? "the engine could not start it (userland proxy)"
                                                                        : "a start of the stopped container was asked for"},
            false);
      } else {
        wait_to_start(
            fmt::format(FMT_COMPILE("waiting for the dependencies of '{}' before starting it"), target.service_name));
      }
    } else if (!target.running && is_running(current)) {
      add(Stop{current, "the target says the service must not run"}, true);
    }
  }

  bool any_container_uses(bool (*uses)(const Service&, const std::string&), const std::string& name) const {
    return std::any_of(current_.services.begin(), current_.services.end(),
                       [&](const Service& s) { return uses(s, name); });
  }

  void plan_components() {
    for (const Volume& volume : components_.volumes_to_create) {
      add(CreateVolume{volume, "the target declares the volume"}, false);
    }
    for (const Volume& volume : components_.volumes_to_remove) {
      if (!any_container_uses(uses_volume, volume.name)) {
        add(RemoveVolume{volume, "its configuration changed; it is created again next"}, false);
      }
    }
    for (const Network& network : components_.networks_to_create) {
      add(CreateNetwork{network, "the target declares the network"}, false);
    }
    for (const Network& network : components_.networks_to_remove) {
      if (!any_container_uses(uses_network, network.name)) {
        add(RemoveNetwork{network, "the network is duplicated, changed or no longer declared"}, false);
      }
    }
  }

  AppSteps steps_;
  const App& current_;
  const App& target_;
  const Context& context_;
  const ImageIndex& images_;
  ComponentChanges components_;
  std::map<std::string_view, Slot> slots_;
  std::vector<const Service*> dead_;
  FlatSet<std::string_view, FastHash> changing_;
  bool all_images_ready_ = true;
  bool kill_first_pending_ = false;
};

}  // namespace

void plan_app_update(const App& current, const App& target, const Context& context,
                     const ImageIndex& images, std::vector<Step>& out) {
  if (target.is_rejected) {  // never moved towards its target; only settled
    AppSteps(out).finish(current, &target, context);
    return;
  }
  AppUpdatePlanner(current, target, context, images, out).plan();
}

void plan_app_removal(const App& current, const Context& context, std::vector<Step>& out) {
  std::vector<const Service*> containers =
      current.services | ranges::views::transform([](const Service& s) { return &s; }) | ranges::to<std::vector>();
  std::sort(containers.begin(), containers.end(), newer);

  AppSteps steps(out);
  for (const Service* service : containers) {
    if (service->status == ServiceStatus::Dead) {
      steps.add(Remove{*service, "the container is dead"}, false);
    } else if (in_transition(*service)) {
      steps.add(Noop{fmt::format(FMT_COMPILE("waiting for '{}' to stop"), service->service_name)}, false);
    } else {
      steps.add(Kill{*service, "the app is not in the target"}, true);
    }
  }
  if (containers.empty()) {
    const ComponentChanges components = compare_components(current, nullptr);
    for (const Network& network : components.networks_to_remove) {
      steps.add(RemoveNetwork{network, "the app is not in the target"}, false);
    }
    if (!context.keep_volumes) {
      std::set<Volume> volumes(current.volumes.begin(), current.volumes.end());
      std::set<std::string> names;
      for (const Volume& volume : volumes) {
        if (names.insert(volume.name).second) {
          steps.add(RemoveVolume{volume, "the app is not in the target"}, false);
        }
      }
    }
  }
  steps.finish(current, nullptr, context);
}

}  // namespace reconcile::detail
