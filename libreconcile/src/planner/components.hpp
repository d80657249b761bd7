// Networks and volumes of one app: what to create, what must go, and which
// are changing (so the services on them must be killed first).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "reconcile/model.hpp"
#include "reconcile/step.hpp"

namespace reconcile::detail {

// The networks a target app gets: its own, plus `default` when absent,
// config-only when every service uses host networking.
[[nodiscard]] std::vector<Network> target_networks(const App& target);

// The labels the supervisor puts on what it creates.
[[nodiscard]] Network with_supervisor_labels(Network network);
[[nodiscard]] Volume with_supervisor_labels(Volume volume);

// Config equality as the engine would see it: supervisor labels ignored,
// IPAM pools ignored when the target names none, the driver ignored for a
// config-only target.
[[nodiscard]] bool same_config(const Network& current, const Network& target);
[[nodiscard]] bool same_config(const Volume& current, const Volume& target);

struct ComponentChanges {
  std::vector<Network> networks_to_create;
  std::vector<Network> networks_to_remove;  // one per name: removal takes all duplicates
  std::vector<Volume> volumes_to_create;
  std::vector<Volume> volumes_to_remove;    // only ones whose config changes
  // Names whose engine object must go (removed or recreated): services on
  // them are killed first.
  std::set<std::string> changing_networks;
  std::set<std::string> changing_volumes;
  // Names that do not exist yet in the right form: services on them wait.
  std::set<std::string> pending_networks;
  std::set<std::string> pending_volumes;
};

// `target` may be null (the app is being removed). Volumes the target no
// longer declares are kept during an update; only app removal deletes them.
[[nodiscard]] ComponentChanges compare_components(const App& current, const App* target);

}  // namespace reconcile::detail
