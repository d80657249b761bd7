// Generators of devices and targets. Services are built through
// reconcile::service_from_json, so every generated service is one the parser
// could have produced and a printed counterexample replays with
// `supervisor plan`.
//
// Every random choice shrinks towards the plain case (feature off, first
// element of a pool), so shrunk counterexamples stay small.
#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "reconcile/json.hpp"
#include "reconcile/testing/scenario.hpp"
#include "reconcile/testing/show.hpp"

namespace reconcile::testing {
namespace {

using nlohmann::json;

constexpr Seconds kNow = 1'767'225'600;  // 2026-01-01T00:00:00Z
constexpr std::array<const char*, 4> kServiceNames{"main", "db", "web", "worker"};
constexpr std::array<const char*, 3> kCommits{"c1", "c2", "c3"};
constexpr std::array<const char*, 2> kExtraNetworks{"front", "back"};
constexpr std::array<const char*, 2> kVolumes{"data", "cache"};
constexpr int kMaxApps = 3;

// True with the given percentage; shrinks to false.
bool chance(int percent) { return *rc::gen::inRange(0, 100) >= 100 - percent; }

template <typename T, std::size_t N>
const T& pick(const std::array<T, N>& pool) {
  return pool[*rc::gen::inRange<std::size_t>(0, N)];
}

std::string app_uuid(AppId app_id) { return "app" + std::to_string(app_id); }

std::int64_t release_of(const std::string& commit) {
  return 100 + static_cast<std::int64_t>(std::find(kCommits.begin(), kCommits.end(), commit) - kCommits.begin());
}

std::int64_t service_index(const std::string& name) {
  return 1 + static_cast<std::int64_t>(std::find(kServiceNames.begin(), kServiceNames.end(), name) -
                                       kServiceNames.begin());
}

UpdateStrategy gen_strategy() {
  // download-then-kill is the default and the common case.
  switch (*rc::gen::inRange(0, 7)) {
    case 4: return UpdateStrategy::KillThenDownload;
    case 5: return UpdateStrategy::DeleteThenDownload;
    case 6: return UpdateStrategy::HandOver;
    default: return UpdateStrategy::DownloadThenKill;
  }
}

// What a service of one release looks like; two draws that agree on every
// field make services of equal configuration.
struct ServiceShape {
  std::string name;
  std::string commit;
  int image_variant = 1;
  int env_variant = 1;
  UpdateStrategy strategy = UpdateStrategy::DownloadThenKill;
  bool running = true;
  bool requires_reboot = false;
  std::string restart;
  std::vector<std::string> depends_on;
  std::vector<std::string> networks;  // besides default
  std::vector<std::string> volumes;
};

ServiceShape gen_shape(AppId app_id, const std::string& name, const std::string& commit,
                       const std::vector<std::string>& names_before, const std::vector<std::string>& networks,
                       const std::vector<std::string>& volumes) {
  (void)app_id;
  ServiceShape shape;
  shape.name = name;
  shape.commit = commit;
  shape.image_variant = chance(30) ? 2 : 1;
  shape.env_variant = chance(30) ? 2 : 1;
  shape.strategy = gen_strategy();
  shape.running = !chance(12);
  shape.requires_reboot = chance(8);
  shape.restart = chance(20) ? (chance(50) ? "no" : "always") : "";
  // Acyclic by construction: a service depends only on names before it in
  // the pool; now and then on one the release does not have.
  for (const std::string& before : names_before) {
    if (chance(30)) shape.depends_on.push_back(before);
  }
  for (const std::string& network : networks) {
    if (chance(40)) shape.networks.push_back(network);
  }
  for (const std::string& volume : volumes) {
    if (chance(50)) shape.volumes.push_back(volume);
  }
  return shape;
}

const char* strategy_label(UpdateStrategy strategy) { return to_string(strategy); }

json service_json(AppId app_id, const ServiceShape& shape) {
  json composition = {{"environment", {{"VARIANT", std::to_string(shape.env_variant)}}}};
  json labels = json::object();
  if (shape.strategy != UpdateStrategy::DownloadThenKill || chance(10)) {
    labels["io.balena.update.strategy"] = strategy_label(shape.strategy);
  }
  if (shape.requires_reboot) labels["io.balena.update.requires-reboot"] = "true";
  if (!labels.empty()) composition["labels"] = labels;
  if (!shape.restart.empty()) composition["restart"] = shape.restart;
  if (!shape.depends_on.empty()) composition["depends_on"] = shape.depends_on;
  json networks = json::array({"default"});
  for (const std::string& network : shape.networks) networks.push_back(network);
  composition["networks"] = networks;
  if (!shape.volumes.empty()) {
    json mounts = json::array();
    for (const std::string& volume : shape.volumes) mounts.push_back(volume + ":/mnt/" + volume);
    composition["volumes"] = mounts;
  }
  composition["running"] = shape.running;
  const std::int64_t index = service_index(shape.name);
  return {{"serviceName", shape.name},
          {"appId", app_id},
          {"appUuid", app_uuid(app_id)},
          {"serviceId", index},
          {"imageId", 10 * release_of(shape.commit) + index},
          {"releaseId", release_of(shape.commit)},
          {"commit", shape.commit},
          {"image", "registry.test/app" + std::to_string(app_id) + "-" + shape.name + ":v" +
                        std::to_string(shape.image_variant)},
          {"composition", composition}};
}

Service build(const json& service, bool is_current) {
  auto parsed = service_from_json(service, is_current, kNow);
  if (!parsed.ok()) throw std::logic_error("generated service does not parse: " + parsed.error().to_string());
  return std::move(parsed).value();
}

NetworkConfig gen_network_config() {
  NetworkConfig config;
  if (chance(25)) config.driver_opts["com.docker.network.driver.mtu"] = "1400";
  if (chance(15)) config.internal = true;
  if (chance(15)) config.labels["tier"] = "x";
  return config;
}

VolumeConfig gen_volume_config() {
  VolumeConfig config;
  if (chance(25)) config.driver_opts["size"] = "1g";
  if (chance(15)) config.labels["backup"] = "yes";
  return config;
}

struct Release {
  std::string commit;
  std::vector<ServiceShape> services;
  std::vector<Network> networks;  // declared, besides default
  std::vector<Volume> volumes;
};

Release gen_release(AppId app_id) {
  Release release;
  release.commit = pick(kCommits);
  for (const char* name : kExtraNetworks) {
    if (!chance(35)) continue;
    Network network;
    network.name = name;
    network.app_id = app_id;
    network.app_uuid = app_uuid(app_id);
    network.config = gen_network_config();
    release.networks.push_back(std::move(network));
  }
  for (const char* name : kVolumes) {
    if (!chance(45)) continue;
    Volume volume;
    volume.name = name;
    volume.app_id = app_id;
    volume.app_uuid = app_uuid(app_id);
    volume.config = gen_volume_config();
    release.volumes.push_back(std::move(volume));
  }
  std::vector<std::string> network_names, volume_names, before;
  for (const Network& network : release.networks) network_names.push_back(network.name);
  for (const Volume& volume : release.volumes) volume_names.push_back(volume.name);
  for (const char* name : kServiceNames) {
    if (name != std::string("main") && !chance(45)) {
      before.emplace_back(name);
      continue;
    }
    if (name == std::string("main") && chance(8)) continue;  // a release without main
    release.services.push_back(gen_shape(app_id, name, release.commit, before, network_names, volume_names));
    before.emplace_back(name);
  }
  return release;
}

ServiceStatus gen_status() {
  switch (*rc::gen::inRange(0, 14)) {
    case 8: return ServiceStatus::Exited;
    case 9: return ServiceStatus::Installed;
    case 10: return ServiceStatus::Installing;
    case 11: return ServiceStatus::Dead;
    case 12: return ServiceStatus::Stopping;
    case 13: return ServiceStatus::Stopped;
    default: return ServiceStatus::Running;
  }
}

Service gen_container(AppId app_id, const ServiceShape& shape, int& next_id) {
  json doc = service_json(app_id, shape);
  const ServiceStatus status = gen_status();
  doc["status"] = to_string(status);
  doc["containerId"] = "ctr" + std::to_string(app_id) + "x" + std::to_string(next_id++);
  doc["createdAt"] = format_time(kNow - *rc::gen::inRange<Seconds>(1, 3600));
  if (status == ServiceStatus::Exited && chance(10)) {
    doc["exitErrorMessage"] = "driver failed programming external connectivity: userland proxy: "
                              "listen tcp 0.0.0.0:80: bind: cannot assign requested address";
  }
  Service container = build(doc, true);
  container.running = status == ServiceStatus::Running || status == ServiceStatus::Stopping;
  return container;
}

// A current app: containers of the target release (as they would be after a
// finished update) or of an older one, networks and volumes that may differ
// in config or be duplicated.
App gen_current_app(AppId app_id, const Release* target, int& next_id) {
  App app;
  app.app_id = app_id;
  app.app_uuid = app_uuid(app_id);
  const Release old = gen_release(app_id);
  if (chance(70)) app.commit = chance(50) && target != nullptr ? target->commit : old.commit;

  std::map<std::string, const ServiceShape*> wanted, previous;
  if (target != nullptr) {
    for (const ServiceShape& shape : target->services) wanted[shape.name] = &shape;
  }
  for (const ServiceShape& shape : old.services) previous[shape.name] = &shape;
  for (const char* name : kServiceNames) {
    const ServiceShape* like_target = wanted.contains(name) ? wanted[name] : nullptr;
    const ServiceShape* like_old = previous.contains(name) ? previous[name] : nullptr;
    if (like_target == nullptr && like_old == nullptr) continue;
    if (!chance(70)) continue;
    const ServiceShape* shape = like_target != nullptr && (like_old == nullptr || chance(50)) ? like_target : like_old;
    app.services.push_back(gen_container(app_id, *shape, next_id));
    if (chance(8)) app.services.push_back(gen_container(app_id, *shape, next_id));  // a duplicate
  }

  // Networks: default and the extra ones, each maybe present, maybe with the
  // target's config, maybe twice (the engine's duplicate-name bug).
  std::map<std::string, NetworkConfig> target_networks{{"default", NetworkConfig{}}};
  if (target != nullptr) {
    for (const Network& network : target->networks) target_networks[network.name] = network.config;
  }
  std::vector<std::string> network_names{"default"};
  for (const char* name : kExtraNetworks) network_names.emplace_back(name);
  for (const std::string& name : network_names) {
    if (!chance(65)) continue;
    Network network;
    network.name = name;
    network.app_id = app_id;
    network.app_uuid = app.app_uuid;
    const bool as_target = target_networks.contains(name) && chance(70);
    network.config = as_target ? target_networks[name] : gen_network_config();
    network.config.labels["io.balena.supervised"] = "true";
    app.networks.push_back(network);
    if (chance(8)) app.networks.push_back(network);
  }
  std::map<std::string, VolumeConfig> target_volumes;
  if (target != nullptr) {
    for (const Volume& volume : target->volumes) target_volumes[volume.name] = volume.config;
  }
  for (const char* name : kVolumes) {
    if (!chance(55)) continue;
    Volume volume;
    volume.name = name;
    volume.app_id = app_id;
    volume.app_uuid = app.app_uuid;
    const bool as_target = target_volumes.contains(name) && chance(70);
    volume.config = as_target ? target_volumes[name] : gen_volume_config();
    volume.config.labels["io.balena.supervised"] = "true";
    app.volumes.push_back(volume);
  }
  return app;
}

App target_app(AppId app_id, const Release& release, bool rejected) {
  App app;
  app.app_id = app_id;
  app.app_uuid = app_uuid(app_id);
  app.name = "app" + std::to_string(app_id);
  app.is_rejected = rejected;
  app.commit = release.commit;
  app.release_id = release_of(release.commit);
  for (const ServiceShape& shape : release.services) app.services.push_back(build(service_json(app_id, shape), false));
  app.networks = release.networks;
  app.volumes = release.volumes;
  return app;
}

// The record the store keeps for an image a service uses; now and then one
// with stale metadata (the planner then records it again: saveImage).
Image record_for(const Service& service) {
  Image image = image_of(service);
  image.docker_image_id.reset();
  if (chance(12)) image.release_id += 1000;
  return image;
}

void gen_context(Scenario& s) {
  Context& context = s.context;
  context.now = kNow;
  const int boot = *rc::gen::inRange(0, 3);
  context.boot_time = boot == 0 ? kNow - 86'400 : boot == 1 ? kNow - 1800 : kNow - 2;

  // The engine holds the image of every container (it cannot remove one in
  // use); the store may lack its record, and then the snapshot gives the
  // engine's id on the services that use it. Images only targets use are on
  // the device, downloading, or not there.
  std::map<std::string, const Service*> in_use, wanted;  // by name: the first user
  for (const App& app : s.current.apps) {
    for (const Service& service : app.services) in_use.emplace(service.image, &service);
  }
  for (const App& app : s.target.apps) {
    for (const Service& service : app.services) {
      if (!in_use.contains(service.image)) wanted.emplace(service.image, &service);
    }
  }
  std::set<std::string> unrecorded;
  for (const auto& [name, service] : in_use) {
    if (chance(80)) {
      context.available_images.push_back(record_for(*service));
    } else {
      unrecorded.insert(name);
    }
  }
  for (State* state : {&s.current, &s.target}) {
    for (App& app : state->apps) {
      for (Service& service : app.services) {
        if (unrecorded.contains(service.image)) service.docker_image_id = "sha256:" + service.image;
      }
    }
  }
  for (const auto& [name, service] : wanted) {
    if (chance(55)) {
      context.available_images.push_back(record_for(*service));
    } else if (chance(30)) {
      context.downloading.push_back(name);
    }
  }
  // Images of old releases nothing uses any more.
  for (int i = *rc::gen::inRange(0, 3); i > 0; --i) {
    Image stale;
    stale.app_id = 1 + *rc::gen::inRange<AppId>(0, kMaxApps);
    stale.app_uuid = app_uuid(stale.app_id);
    stale.service_name = pick(kServiceNames);
    stale.name = "registry.test/app" + std::to_string(stale.app_id) + "-" + stale.service_name + ":old" +
                 std::to_string(i);
    context.available_images.push_back(stale);
  }

  for (const App& app : s.current.apps) {
    const int lock = *rc::gen::inRange(0, 10);
    if (lock >= 8) context.locks_held.insert(app.app_id);
    if (lock == 7 || lock == 6) s.user_locks.insert(app.app_id);
  }
  context.force = chance(12);
  context.keep_volumes = chance(30);
  context.keep_images = chance(12);
  context.reboot_breadcrumb_set = chance(10);
  context.supervisor_network_ready = !chance(10);
  context.has_leftover_locks = chance(10);
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Scenario& scenario) {
  PlanRequest request{scenario.current, scenario.target, scenario.context};
  os << to_json(request).dump() << "\nuser locks held on apps:";
  for (AppId app : scenario.user_locks) os << ' ' << app;
  if (scenario.user_locks.empty()) os << " none";
  return os;
}

std::size_t service_count(const Scenario& scenario) {
  std::size_t count = 0;
  for (const State* state : {&scenario.current, &scenario.target}) {
    for (const App& app : state->apps) count += app.services.size();
  }
  return count;
}

rc::Gen<Scenario> gen_scenario() {
  return rc::gen::exec([] {
    Scenario s;
    int next_id = 1;
    for (AppId app_id = 1; app_id <= kMaxApps; ++app_id) {
      const bool in_target = chance(75) || app_id == 1;
      const bool in_current = chance(70);
      std::optional<Release> release;
      if (in_target) release = gen_release(app_id);
      if (in_target) s.target.apps.push_back(target_app(app_id, *release, chance(8)));
      if (in_current) {
        App app = gen_current_app(app_id, release ? &*release : nullptr, next_id);
        if (!app.services.empty() || !app.networks.empty() || !app.volumes.empty()) {
          s.current.apps.push_back(std::move(app));
        }
      }
    }
    gen_context(s);
    return s;
  });
}

rc::Gen<Scenario> gen_settled_scenario() {
  return rc::gen::exec([] {
    Scenario s = *gen_scenario();
    Context& context = s.context;
    context.downloading.clear();
    context.locks_held.clear();
    context.has_leftover_locks = false;
    context.supervisor_network_ready = true;  // settled: supervisor0 is as made
    s.user_locks.clear();
    std::vector<App> current;
    std::set<AppId> rejected;
    for (const App& app : s.current.apps) {
      const auto target = std::find_if(s.target.apps.begin(), s.target.apps.end(),
                                       [&](const App& t) { return t.app_id == app.app_id; });
      if (target != s.target.apps.end() && target->is_rejected) current.push_back(app);
    }
    int next_id = 1;
    std::vector<Image> images;
    for (const App& target : s.target.apps) {
      if (target.is_rejected) continue;
      App app;
      app.app_id = target.app_id;
      app.app_uuid = target.app_uuid;
      app.commit = target.commit;
      for (const Service& service : target.services) {
        Service container = service;
        container.container_id = "settled" + std::to_string(next_id++);
        container.created_at = context.boot_time - 10;  // started before the last boot
        container.running = service.running;
        container.status = service.running ? ServiceStatus::Running : ServiceStatus::Exited;
        app.services.push_back(std::move(container));
        Image image = image_of(service);
        image.docker_image_id.reset();
        images.push_back(std::move(image));
      }
      Network network;
      network.name = "default";
      network.app_id = app.app_id;
      network.app_uuid = app.app_uuid;
      network.config.labels["io.balena.supervised"] = "true";
      // Config-only when every service uses host networking (vacuously for
      // an app without services), as the supervisor creates it.
      network.config.config_only = std::all_of(target.services.begin(), target.services.end(),
                                               [](const Service& t) { return t.config().network_mode == "host"; });
      app.networks.push_back(network);
      for (Network declared : target.networks) {
        if (declared.name == "default") continue;
        declared.config.labels["io.balena.supervised"] = "true";
        app.networks.push_back(std::move(declared));
      }
      for (Volume declared : target.volumes) {
        declared.config.labels["io.balena.supervised"] = "true";
        app.volumes.push_back(std::move(declared));
      }
      current.push_back(std::move(app));
    }
    s.current.apps = std::move(current);
    // Images of rejected apps' containers and targets stay (in use); no
    // stale record is left (it would be removed).
    for (const App& app : s.target.apps) {
      if (!app.is_rejected) continue;
      for (const Service& service : app.services) images.push_back(image_of(service));
    }
    context.available_images = std::move(images);
    return s;
  });
}

}  // namespace reconcile::testing
