#include "facts.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace reconcile::testing::detail {
namespace {

std::map<std::string, std::string> user_labels(std::map<std::string, std::string> labels) {
  constexpr std::array<const char*, 5> kSupervisorLabels{"io.balena.supervised", "io.resin.supervised",
                                                         "io.balena.app-id", "io.balena.app-uuid",
                                                         "io.balena.private.ipam.config"};
  for (const char* key : kSupervisorLabels) labels.erase(key);
  return labels;
}

}  // namespace

const App* find_app(const State& state, AppId app_id) {
  for (const App& app : state.apps) {
    if (app.app_id == app_id) return &app;
  }
  return nullptr;
}

const Service* find_service(const App& app, const std::string& name) {
  for (const Service& service : app.services) {
    if (service.service_name == name) return &service;
  }
  return nullptr;
}

bool image_available(const Context& context, const Service& target) {
  if (target.docker_image_id) return true;
  return std::any_of(context.available_images.begin(), context.available_images.end(),
                     [&](const Image& image) { return image.name == target.image; });
}

bool never_started(const Service& container) {
  return container.status == ServiceStatus::Installing || container.status == ServiceStatus::Installed;
}

bool runs_release_of(const Service& container, const Service& target) {
  std::vector<std::string> have, want;
  for (const auto& [name, options] : container.config().networks) have.push_back(name);
  for (const auto& [name, options] : target.config().networks) want.push_back(name);
  return container.config().config_key == target.config().config_key && container.image == target.image &&
         have == want && container.commit == target.commit && container.release_id == target.release_id &&
         container.image_id == target.image_id;
}

// A copy of the planner's rule in src/planner/components.cpp, kept apart on
// purpose: the harness judges the planner, so it must not call the planner's
// own code to decide what "the same network" means.
bool same_config(const Network& current, const Network& target) {
  NetworkConfig have = current.config;
  NetworkConfig want = target.config;
  have.labels = user_labels(std::move(have.labels));
  want.labels = user_labels(std::move(want.labels));
  if (want.ipam_config.empty()) have.ipam_config.clear();
  if (want.config_only) have.driver = want.driver;
  return have == want;
}

bool same_config(const Volume& current, const Volume& target) {
  return current.config.driver == target.config.driver && current.config.driver_opts == target.config.driver_opts &&
         user_labels(current.config.labels) == user_labels(target.config.labels);
}

}  // namespace reconcile::testing::detail
