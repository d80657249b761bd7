#include "components.hpp"

#include <algorithm>
#include <map>

namespace reconcile::detail {
namespace {

constexpr const char* kSupervised = "io.balena.supervised";
constexpr const char* kLegacySupervised = "io.resin.supervised";
constexpr const char* kAppId = "io.balena.app-id";
constexpr const char* kAppUuid = "io.balena.app-uuid";
constexpr const char* kIpamLabel = "io.balena.private.ipam.config";

std::map<std::string, std::string> user_labels(std::map<std::string, std::string> labels) {
  for (const char* key : {kSupervised, kLegacySupervised, kAppId, kAppUuid, kIpamLabel}) {
    labels.erase(key);
  }
  return labels;
}

bool uses_host_network(const Service& service) { return service.config().network_mode == "host"; }

}  // namespace

std::vector<Network> target_networks(const App& target) {
  std::vector<Network> networks = target.networks;
  const bool has_default = std::any_of(networks.begin(), networks.end(),
                                       [](const Network& n) { return n.name == "default"; });
  if (!has_default) {
    Network network;
    network.name = "default";
    network.app_id = target.app_id;
    network.app_uuid = target.app_uuid;
    // Vacuously true for an app without services, as upstream.
    network.config.config_only =
        std::all_of(target.services.begin(), target.services.end(), uses_host_network);
    networks.push_back(std::move(network));
  }
  return networks;
}

Network with_supervisor_labels(Network network) {
  network.config.labels[kSupervised] = "true";
  network.config.labels[kAppId] = std::to_string(network.app_id);
  if (!network.config.ipam_config.empty()) network.config.labels[kIpamLabel] = "true";
  return network;
}

Volume with_supervisor_labels(Volume volume) {
  volume.config.labels[kSupervised] = "true";
  volume.config.labels[kAppUuid] = volume.app_uuid;
  return volume;
}

// The property harness keeps its own copy of this rule (testing/src/facts.cpp)
// on purpose, so that it never trusts the planner's code.
bool same_config(const Network& current, const Network& target) {
  NetworkConfig have = current.config;
  NetworkConfig want = target.config;
  have.labels = user_labels(std::move(have.labels));
  want.labels = user_labels(std::move(want.labels));
  // The engine fills in pools the target did not ask for.
  if (want.ipam_config.empty()) have.ipam_config.clear();
  if (want.config_only) have.driver = want.driver;
  return have == want;
}

bool same_config(const Volume& current, const Volume& target) {
  return current.config.driver == target.config.driver &&
         current.config.driver_opts == target.config.driver_opts &&
         user_labels(current.config.labels) == user_labels(target.config.labels);
}

ComponentChanges compare_components(const App& current, const App* target) {
  ComponentChanges changes;

  // Networks: group the current ones by name (the engine may hold duplicates).
  std::map<std::string, std::vector<const Network*>> have_networks;
  for (const Network& network : current.networks) have_networks[network.name].push_back(&network);
  std::map<std::string, Network> want_networks;
  if (target != nullptr) {
    for (Network& network : target_networks(*target)) {
      want_networks.emplace(network.name, std::move(network));
    }
  }
  for (const auto& [name, have] : have_networks) {
    auto want = want_networks.find(name);
    const bool keep = want != want_networks.end() && have.size() == 1 &&
                      same_config(*have.front(), want->second);
    if (keep) continue;
    changes.changing_networks.insert(name);
    changes.networks_to_remove.push_back(**std::min_element(
        have.begin(), have.end(), [](const Network* a, const Network* b) { return *a < *b; }));
  }
  for (auto& [name, want] : want_networks) {
    if (have_networks.contains(name) && !changes.changing_networks.contains(name)) continue;
    changes.pending_networks.insert(name);
    if (!have_networks.contains(name)) {
      changes.networks_to_create.push_back(with_supervisor_labels(want));
    }
  }

  // Volumes: a changed config means remove, then create; a volume the target
  // no longer names stays (user data) unless the whole app goes.
  std::map<std::string, const Volume*> have_volumes;
  for (const Volume& volume : current.volumes) {
    auto [it, inserted] = have_volumes.emplace(volume.name, &volume);
    if (!inserted && volume < *it->second) it->second = &volume;
  }
  std::map<std::string, const Volume*> want_volumes;
  if (target != nullptr) {
    for (const Volume& volume : target->volumes) want_volumes.emplace(volume.name, &volume);
  }
  for (const auto& [name, want] : want_volumes) {
    auto have = have_volumes.find(name);
    if (have == have_volumes.end()) {
      changes.pending_volumes.insert(name);
      changes.volumes_to_create.push_back(with_supervisor_labels(*want));
    } else if (!same_config(*have->second, *want)) {
      changes.pending_volumes.insert(name);
      changes.changing_volumes.insert(name);
      changes.volumes_to_remove.push_back(*have->second);
    }
  }
  return changes;
}

}  // namespace reconcile::detail
