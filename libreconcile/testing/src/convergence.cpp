// Convergence: the run ends (an empty plan, or a plan that only keeps asking
// for locks users hold) within the bound, and the device then runs its
// target. Exceptions, as the reference wants them: rejected apps (left as
// they are, §3.11), apps whose lock a user service still holds when the run
// stops (§3.9), volumes the target no longer declares (kept, §3.8), services
// that wait on a dependency that must not run and never ran (§3.4; with
// hand-over, their old container keeps running) and, on
// app removal, all volumes with keepVolumes.
#include <algorithm>
#include <map>
#include <set>

#include "facts.hpp"
#include "reconcile/testing/properties.hpp"
#include "reconcile/testing/show.hpp"

namespace reconcile::testing {
namespace {

using detail::find_app;

std::string app_label(AppId app_id) { return "app " + std::to_string(app_id) + ": "; }

// The networks a target app must end with: its own and `default`.
std::vector<Network> expected_networks(const App& target) {
  std::vector<Network> networks = target.networks;
  if (std::none_of(networks.begin(), networks.end(), [](const Network& n) { return n.name == "default"; })) {
    Network network;
    network.name = "default";
    network.app_id = target.app_id;
    network.config.config_only = std::all_of(target.services.begin(), target.services.end(),
                                             [](const Service& s) { return s.config().network_mode == "host"; });
    networks.push_back(std::move(network));
  }
  return networks;
}

// A target service's container is in its final state: the release and
// config of the target, running if it should (an exited one is left to the
// engine's restart policy, §3.5), not running if it should not. A service
// that waits for a reboot the run could not reach counts when allowed.
std::optional<std::string> service_mismatch(const Service& c, const Service& t, bool reboot_pending_ok) {
  if (!detail::runs_release_of(c, t)) return "container of '" + t.service_name + "' does not run the target release/config";
  if (c.status == ServiceStatus::Dead) return "container of '" + t.service_name + "' is dead";
  const bool running = c.status == ServiceStatus::Running;
  if (t.running && !running) {
    const bool left_to_engine = !detail::never_started(c);
    const bool awaits_reboot = reboot_pending_ok;
    if (!left_to_engine && !awaits_reboot) return "'" + t.service_name + "' should run but was never started";
  }
  if (!t.running && running) return "'" + t.service_name + "' runs but the target says it must not";
  return std::nullopt;
}

// Services that wait without a step when the run stops: the requires-reboot
// ones not running while a reboot is pending (§3.4: created and not started,
// or exited, they start after the reboot), the services whose dependency
// must not run and never has (a dependency counts as started only once it
// ran, as balena's dependenciesMetForServiceStart), and, transitively, the
// services that depend on either.
std::set<std::string> held_back(const App& current, const App& target, bool reboot_pending_ok, bool stuck) {
  std::set<std::string> held;
  std::set<std::string> never_runs;
  for (const Service& t : target.services) {
    const Service* c = detail::find_service(current, t.service_name);
    const bool not_started = c != nullptr && detail::never_started(*c);
    const bool not_running = c != nullptr && c->status != ServiceStatus::Running;
    if (reboot_pending_ok && t.config().requires_reboot && not_running) held.insert(t.service_name);
    if (stuck && !t.running && (c == nullptr || not_started)) never_runs.insert(t.service_name);
  }
  for (bool grew = true; grew;) {
    grew = false;
    for (const Service& t : target.services) {
      if (held.contains(t.service_name)) continue;
      for (const std::string& dependency : t.config().depends_on) {
        if (held.contains(dependency) || never_runs.contains(dependency)) {
          held.insert(t.service_name);
          grew = true;
          break;
        }
      }
    }
  }
  return held;
}

std::optional<std::string> app_mismatch(const App* current, const App& target, bool reboot_pending_ok, bool stuck) {
  if (current == nullptr) return "not installed";
  const std::set<std::string> held = held_back(*current, target, reboot_pending_ok, stuck);
  std::map<std::string, int> containers;
  for (const Service& c : current->services) {
    if (detail::find_service(target, c.service_name) == nullptr) {
      return "container of '" + c.service_name + "', which the target does not have, is left";
    }
    ++containers[c.service_name];
  }
  for (const Service& t : target.services) {
    if (held.contains(t.service_name) && containers[t.service_name] == 0) continue;
    if (containers[t.service_name] != 1) {
      return std::to_string(containers[t.service_name]) + " containers of '" + t.service_name + "' instead of one";
    }
    const Service& c = *detail::find_service(*current, t.service_name);
    // A hand-over that waits on such a dependency keeps the old container
    // running: the new one never starts, so the old one is never handed
    // over (balena's handover step waits on dependenciesMetForServiceStart).
    if (held.contains(t.service_name) && t.config().strategy == UpdateStrategy::HandOver &&
        !detail::runs_release_of(c, t)) {
      continue;
    }
    if (auto why = service_mismatch(c, t, held.contains(t.service_name))) {
      return why;
    }
  }
  const std::vector<Network> networks = expected_networks(target);
  for (const Network& n : current->networks) {
    if (std::none_of(networks.begin(), networks.end(), [&](const Network& w) { return w.name == n.name; })) {
      return "network '" + n.name + "', which the target does not declare, is left";
    }
  }
  for (const Network& w : networks) {
    const auto count = std::count_if(current->networks.begin(), current->networks.end(),
                                     [&](const Network& n) { return n.name == w.name; });
    if (count != 1) return std::to_string(count) + " networks '" + w.name + "' instead of one";
    const auto have = std::find_if(current->networks.begin(), current->networks.end(),
                                   [&](const Network& n) { return n.name == w.name; });
    if (!detail::same_config(*have, w)) return "network '" + w.name + "' has another config than the target's";
  }
  for (const Volume& w : target.volumes) {
    const auto count = std::count_if(current->volumes.begin(), current->volumes.end(),
                                     [&](const Volume& v) { return v.name == w.name; });
    if (count != 1) return std::to_string(count) + " volumes '" + w.name + "' instead of one";
    const auto have = std::find_if(current->volumes.begin(), current->volumes.end(),
                                   [&](const Volume& v) { return v.name == w.name; });
    if (!detail::same_config(*have, w)) return "volume '" + w.name + "' has another config than the target's";
  }
  // An app with a service held back never settles, so its commit is not
  // recorded either.
  if (target.commit && current->commit != target.commit && held.empty()) {
    return "the recorded commit is '" + current->commit.value_or("(none)") + "', not '" + *target.commit + "'";
  }
  return std::nullopt;
}

std::optional<std::string> removed_app_left(const App& current, bool keep_volumes) {
  if (!current.services.empty()) return "the app is not in the target but containers are left";
  if (!current.networks.empty()) return "the app is not in the target but networks are left";
  if (!keep_volumes && !current.volumes.empty()) return "the app is not in the target but volumes are left";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> convergence_failure(const Scenario& scenario, const Run& run) {
  if (run.ending == Ending::OutOfBatches) {
    return "no empty plan within " + std::to_string(batch_bound(scenario)) + " batches";
  }
  const bool stuck = run.ending == Ending::StuckOnUserLocks;
  std::set<AppId> excepted;
  for (const App& app : scenario.target.apps) {
    if (app.is_rejected) excepted.insert(app.app_id);
  }
  if (stuck) {
    // The plan keeps asking for something nothing will do: only the takeLock
    // of an app a user locks (and whatever waits on it) may be left.
    for (const Step& step : run.batches.back().steps) {
      if (std::holds_alternative<Noop>(step)) continue;
      if (!run.user_locks.contains(app_of(step))) {
        return "the plan no longer changes the device, but still asks for: " + show_batch({step}, "");
      }
    }
    excepted.insert(run.user_locks.begin(), run.user_locks.end());
  }
  const World& world = run.final;
  // A reboot cannot happen while the plan is not empty (§3.2 step 5).
  const bool reboot_pending_ok = stuck && world.context.reboot_breadcrumb_set;
  for (const AppId locked : world.context.locks_held) {
    // An app whose services wait without end keeps the lock it took for
    // them, as balena's does: it never settles, so it never releases it.
    const App* target = find_app(scenario.target, locked);
    const App* current = find_app(world.current, locked);
    const bool waits = target != nullptr && current != nullptr &&
                       !held_back(*current, *target, reboot_pending_ok, stuck).empty();
    if (!waits) return app_label(locked) + "the supervisor still holds its lock";
  }
  for (const App& target : scenario.target.apps) {
    if (excepted.contains(target.app_id)) continue;
    if (auto why = app_mismatch(find_app(world.current, target.app_id), target, reboot_pending_ok, stuck)) {
      return app_label(target.app_id) + *why;
    }
  }
  for (const App& current : world.current.apps) {
    if (excepted.contains(current.app_id) || find_app(scenario.target, current.app_id) != nullptr) continue;
    if (auto why = removed_app_left(current, world.context.keep_volumes)) return app_label(current.app_id) + *why;
  }
  return std::nullopt;
}

}  // namespace reconcile::testing
