#include "service_rules.hpp"

#include <algorithm>

namespace reconcile::detail {
namespace {

bool contains_all(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  return std::all_of(want.begin(), want.end(), [&](const std::string& item) {
    return std::find(have.begin(), have.end(), item) != have.end();
  });
}

// The target's options must hold on the current container; the engine adds
// aliases of its own (container id, service name), so target aliases need
// only be a subset, and addresses count only when the target sets them.
bool network_options_met(const ServiceNetwork& have, const ServiceNetwork& want) {
  if (!contains_all(have.aliases, want.aliases)) return false;
  if (!want.ipv4_address.empty() && want.ipv4_address != have.ipv4_address) return false;
  if (!want.ipv6_address.empty() && want.ipv6_address != have.ipv6_address) return false;
  if (!want.link_local_ips.empty() && !contains_all(have.link_local_ips, want.link_local_ips)) {
    return false;
  }
  return true;
}

bool same_networks(const Service& current, const Service& target) {
  if (current.config().networks.size() != target.config().networks.size()) return false;
  auto want = target.config().networks.begin();
  for (const auto& [name, have] : current.config().networks) {
    if (name != want->first || !network_options_met(have, want->second)) return false;
    ++want;
  }
  return true;
}

// As the balena supervisor: the image a name resolves to decides, so an image
// rebuilt under the same name (`balena push` in local mode) is a new image.
// Names decide only while either id is unknown.
bool same_image(const Service& current, const Service& target, std::optional<std::string_view> target_image_id) {
  if (current.docker_image_id && target_image_id) return *current.docker_image_id == *target_image_id;
  return current.image == target.image;
}

}  // namespace

bool in_transition(const Service& current) {
  return current.status == ServiceStatus::Stopping ||
         current.status == ServiceStatus::HandingOver ||
         current.status == ServiceStatus::AwaitingHandover ||
         current.status == ServiceStatus::Removing;
}

bool is_running(const Service& current) {
  switch (current.status) {
    case ServiceStatus::Exited:
    case ServiceStatus::Stopped:
    case ServiceStatus::Installing:
    case ServiceStatus::Installed:
    case ServiceStatus::Dead:
      return false;
    default:
      return current.running;
  }
}

bool never_started(const Service& current) {
  return current.status == ServiceStatus::Installing || current.status == ServiceStatus::Installed;
}

bool failed_on_userland_proxy(const Service& current) {
  return current.status == ServiceStatus::Exited &&
         current.exit_error.find("userland proxy") != std::string::npos &&
         current.exit_error.find("cannot assign requested address") != std::string::npos;
}

bool same_config(const Service& current, const Service& target, std::optional<std::string_view> target_image_id) {
  return current.config().config_key == target.config().config_key &&
         same_image(current, target, target_image_id) &&
         same_networks(current, target);
}

bool same_release(const Service& current, const Service& target) {
  return current.commit == target.commit && current.release_id == target.release_id &&
         current.image_id == target.image_id;
}

bool uses_network(const Service& service, const std::string& name) {
  return service.config().networks.contains(name);
}

bool uses_volume(const Service& service, const std::string& name) {
  return std::find(service.config().named_volumes.begin(), service.config().named_volumes.end(), name) !=
         service.config().named_volumes.end();
}

}  // namespace reconcile::detail
