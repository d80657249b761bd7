#include "engine/runtime/docker_executor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/docker/json.hpp"
#include "engine/runtime/names.hpp"
#include "reconcile/json.hpp"
#include "reconcile/plan_text.hpp"

namespace engine {
namespace {

using nlohmann::json;

Status failed(const docker::Error& error) { return Status::failure(error.describe()); }

// Success, or the call's error; "no such object" counts as done for removals.
Status gone_is_fine(const docker::Status& status) {
  if (status.ok() || status.is_not_found()) return Status::success();
  return failed(status.error());
}

json string_object(const std::map<std::string, std::string>& map) {
  json out = json::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

json network_body(const reconcile::Network& network) {
  json pools = json::array();
  for (const auto& pool : network.config.ipam_config) {
    json item = json::object();
    if (!pool.subnet.empty()) item["Subnet"] = pool.subnet;
    if (!pool.gateway.empty()) item["Gateway"] = pool.gateway;
    if (!pool.ip_range.empty()) item["IPRange"] = pool.ip_range;
    if (!pool.aux_addresses.empty()) item["AuxiliaryAddresses"] = string_object(pool.aux_addresses);
    pools.push_back(std::move(item));
  }
  json body = {{"Name", names::network_name(network)},
               {"Driver", network.config.driver},
               {"CheckDuplicate", true},
               {"Options", string_object(network.config.driver_opts)},
               {"IPAM", {{"Driver", network.config.ipam_driver},
                         {"Config", pools},
                         {"Options", string_object(network.config.ipam_options)}}},
               {"EnableIPv6", network.config.enable_ipv6},
               {"Internal", network.config.internal},
               {"Labels", string_object(network.config.labels)}};
  if (network.config.config_only) body["ConfigOnly"] = true;
  return body;
}

}  // namespace

DockerExecutor::DockerExecutor(const docker::Client& docker, Records& records, UpdateLocks& locks,
                               Downloads& downloads, CreateBodyFn create_body, ExecutorSettings settings)
    : docker_(docker),
      records_(records),
      locks_(locks),
      downloads_(downloads),
      create_body_(std::move(create_body)),
      settings_(std::move(settings)) {}

Status DockerExecutor::run(const reconcile::Step& step, const CancelFlag& cancel, const ProgressFn& progress) {
  using namespace reconcile;
  return std::visit(
      [&](const auto& s) -> Status {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, Fetch>) return fetch(s, cancel, progress);
        else if constexpr (std::is_same_v<T, Kill>) return kill(s.current);
        else if constexpr (std::is_same_v<T, Stop>) return stop(s.current);
        else if constexpr (std::is_same_v<T, Remove>) return remove_dead(s.current);
        else if constexpr (std::is_same_v<T, Start>) return start(s.target);
        else if constexpr (std::is_same_v<T, UpdateMetadata>) return update_metadata(s.current, s.target);
        else if constexpr (std::is_same_v<T, Restart>) {
          if (Status killed = kill(s.current); !killed.ok()) return killed;
          return start(s.target);
        } else if constexpr (std::is_same_v<T, Handover>) return handover(s.current, s.target);
        else if constexpr (std::is_same_v<T, RemoveImage>) return remove_image(s.image);
        else if constexpr (std::is_same_v<T, SaveImage>) return save_image(s.image);
        else if constexpr (std::is_same_v<T, CreateNetwork>) return create_network(s.target);
        else if constexpr (std::is_same_v<T, CreateVolume>) return create_volume(s.target);
        else if constexpr (std::is_same_v<T, RemoveNetwork>) return remove_network(s.current);
        else if constexpr (std::is_same_v<T, RemoveVolume>) return remove_volume(s.current);
        else if constexpr (std::is_same_v<T, TakeLock>) {
          return locks_.take(s.app_id, s.services, s.force ? Force::Yes : Force::No);
        } else if constexpr (std::is_same_v<T, ReleaseLock>) return locks_.release(s.app_id);
        else if constexpr (std::is_same_v<T, UpdateCommit>) return records_.set_commit(s.app_id, s.commit);
        else if constexpr (std::is_same_v<T, RequireReboot>) return require_reboot();
        else return Status::success();  // noop, cleanup
      },
      step);
}

Status DockerExecutor::fetch(const reconcile::Fetch& step, const CancelFlag& cancel, const ProgressFn& progress) {
  const reconcile::Step as_step = step;
  docker::PullOptions options;
  options.auth = settings_.registry_auth;
  downloads_.begin(step.image.name);
  const docker::Status pulled = docker_.pull_image(
      step.image.name, options,
      [&](const docker::PullProgress& message) {
        if (progress && message.percent >= 0) progress(as_step, message.percent);
      },
      &cancel);
  downloads_.end(step.image.name);
  if (!pulled.ok()) return failed(pulled.error());
  if (progress) progress(as_step, 100);
  return save_image(step.image);
}

Status DockerExecutor::save_image(const reconcile::Image& image) {
  auto inspected = docker_.inspect_image(image.name);
  if (!inspected.ok() && image.docker_image_id) inspected = docker_.inspect_image(*image.docker_image_id);
  if (!inspected.ok()) return failed(inspected.error());
  reconcile::Image record = image;
  record.docker_image_id = inspected->id;
  return records_.add_image(record);
}

Status DockerExecutor::remove_image(const reconcile::Image& image) {
  if (Status removed = records_.remove_image(image); !removed.ok()) return removed;
  // Another record of the same image (an older release's, say) keeps it.
  std::vector<reconcile::Image> remaining;
  if (Status listed = records_.images(remaining); !listed.ok()) return listed;
  for (const auto& other : remaining) {
    if (other.name == image.name || (image.docker_image_id && other.docker_image_id == image.docker_image_id)) {
      return Status::success();
    }
  }
  const docker::Status removed = docker_.remove_image(image.name, docker::Force::no);
  if (removed.ok() || removed.is_not_found()) return Status::success();
  // In use by a container the supervisor does not manage: keep it, quietly.
  if (removed.error().kind == docker::ErrorKind::conflict) return Status::success();
  return failed(removed.error());
}

Status DockerExecutor::verify(const reconcile::Service& current, bool& gone) {
  gone = false;
  if (!current.container_id) return Status::failure("the step names no container");
  auto inspected = docker_.inspect_container(*current.container_id);
  if (!inspected.ok()) {
    if (inspected.error().is_not_found()) {
      gone = true;
      return Status::success();
    }
    return failed(inspected.error());
  }
  const auto& labels = inspected->labels;
  const auto app = labels.find(names::kAppId);
  const auto service = labels.find(names::kServiceName);
  const auto name = names::parse_container_name(inspected->name);
  const bool same = app != labels.end() && app->second == std::to_string(current.app_id) &&
                    (service == labels.end() || service->second == current.service_name) && name &&
                    name->service_name == current.service_name;
  if (!same) {
    return Status::failure("container " + current.container_id->substr(0, 12) + " is no longer service '" +
                           current.service_name + "' of app " + std::to_string(current.app_id) +
                           "; leaving it alone");
  }
  return Status::success();
}

Status DockerExecutor::kill(const reconcile::Service& current) {
  bool gone = false;
  if (Status checked = verify(current, gone); !checked.ok() || gone) return checked;
  // The engine applies the container's StopTimeout (stop_grace_period).
  if (Status stopped = gone_is_fine(docker_.stop_container(*current.container_id, std::nullopt)); !stopped.ok()) {
    return stopped;
  }
  return gone_is_fine(docker_.remove_container(*current.container_id, docker::RemoveVolumes::remove,
                                               docker::Force::no));
}

Status DockerExecutor::stop(const reconcile::Service& current) {
  bool gone = false;
  if (Status checked = verify(current, gone); !checked.ok() || gone) return checked;
  return gone_is_fine(docker_.stop_container(*current.container_id, std::nullopt));
}

Status DockerExecutor::remove_dead(const reconcile::Service& current) {
  bool gone = false;
  if (Status checked = verify(current, gone); !checked.ok() || gone) return checked;
  return gone_is_fine(docker_.remove_container(*current.container_id, docker::RemoveVolumes::remove,
                                               docker::Force::yes));
}

Status DockerExecutor::start(const reconcile::Service& target) {
  const std::string name = names::container_name(target);
  // A container of this exact release may exist already (created, not
  // started): start it instead of creating another.
  std::string id;
  auto existing = docker_.inspect_container(name);
  if (existing.ok()) {
    id = existing->id;
  } else if (!existing.error().is_not_found()) {
    return failed(existing.error());
  } else {
    json body;
    if (Status built = create_body_(target, body); !built.ok()) return built;
    json& labels = body["Labels"];
    if (!labels.is_object()) labels = json::object();
    labels[names::kComposition] = target.config().composition;
    labels[names::kImage] = target.image;
    // The body binds the service's lock directory; the service writes its
    // lockfiles there, so it must exist.
    std::error_code ignored;
    std::filesystem::create_directories(locks_.service_dir(target.app_id, target.service_name), ignored);
    // Only the first network goes into the create body; join the others.
    json extra_networks = json::object();
    if (body.contains("NetworkingConfig") && body["NetworkingConfig"].contains("EndpointsConfig")) {
      json& endpoints = body["NetworkingConfig"]["EndpointsConfig"];
      bool first = true;
      for (auto it = endpoints.begin(); it != endpoints.end();) {
        if (first) {
          first = false;
          ++it;
          continue;
        }
        extra_networks[it.key()] = it.value();
        it = endpoints.erase(it);
      }
    }
    auto created = docker_.create_container(name, docker::body(body));
    if (!created.ok()) return failed(created.error());
    id = created.value();
    for (const auto& [network, endpoint] : extra_networks.items()) {
      const auto joined = docker_.connect_network(network, id, docker::body(endpoint));
      if (!joined.ok()) return failed(joined.error());
    }
  }
  // Created but not started: services that must not run, and services that
  // run only after the next reboot.
  if (!target.running || target.config().requires_reboot) return Status::success();
  const auto started = docker_.start_container(id);
  return started.ok() ? Status::success() : failed(started.error());
}

Status DockerExecutor::update_metadata(const reconcile::Service& current, const reconcile::Service& target) {
  bool gone = false;
  if (Status checked = verify(current, gone); !checked.ok()) return checked;
  if (gone) return Status::failure("container " + current.container_id->substr(0, 12) + " is gone");
  const auto renamed = docker_.rename_container(*current.container_id, names::container_name(target));
  return renamed.ok() ? Status::success() : failed(renamed.error());
}

Status DockerExecutor::handover(const reconcile::Service& current, const reconcile::Service& target) {
  bool gone = false;
  if (Status checked = verify(current, gone); !checked.ok()) return checked;
  if (!gone) {
    // The old container must not come back after a power loss, and must free
    // its name for the new one.
    if (auto cleared = docker_.update_restart_policy(*current.container_id, {}); !cleared.ok()) {
      return failed(cleared.error());
    }
    if (auto renamed = docker_.rename_container(*current.container_id, "old_" + names::container_name(current));
        !renamed.ok()) {
      return failed(renamed.error());
    }
  }
  if (Status started = start(target); !started.ok()) return started;
  return gone ? Status::success() : kill(current);
}

Status DockerExecutor::create_network(const reconcile::Network& network) {
  auto created = docker_.create_network(docker::body(network_body(network)));
  if (created.ok() || created.error().kind == docker::ErrorKind::conflict) return Status::success();
  return failed(created.error());
}

Status DockerExecutor::remove_network(const reconcile::Network& network) {
  // Every engine network of that name: the engine may hold duplicates.
  auto listed = docker_.list_networks({{"name", {names::network_name(network)}}, {"label", {names::kSupervised}}});
  if (!listed.ok()) return failed(listed.error());
  for (const auto& found : listed.value()) {
    if (found.name != names::network_name(network)) continue;  // the name filter matches substrings
    if (Status removed = gone_is_fine(docker_.remove_network(found.id)); !removed.ok()) return removed;
  }
  return Status::success();
}

Status DockerExecutor::create_volume(const reconcile::Volume& volume) {
  const json body = {{"Name", names::volume_name(volume)},
                     {"Driver", volume.config.driver},
                     {"DriverOpts", string_object(volume.config.driver_opts)},
                     {"Labels", string_object(volume.config.labels)}};
  auto created = docker_.create_volume(docker::body(body));
  return created.ok() ? Status::success() : failed(created.error());
}

Status DockerExecutor::remove_volume(const reconcile::Volume& volume) {
  return gone_is_fine(docker_.remove_volume(names::volume_name(volume), docker::Force::no));
}

Status DockerExecutor::require_reboot() {
  if (settings_.reboot_breadcrumb.empty()) return Status::failure("no reboot breadcrumb path is configured");
  const int fd = ::open(settings_.reboot_breadcrumb.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::failure("cannot write " + settings_.reboot_breadcrumb + ": " + std::strerror(errno));
  }
  ::futimens(fd, nullptr);  // now: the breadcrumb counts when newer than the boot
  ::close(fd);
  return Status::success();
}

}  // namespace engine
