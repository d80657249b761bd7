#include "engine/runtime/docker_executor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "engine/docker/json.hpp"
#include "engine/runtime/docker_errors.hpp"
#include "engine/runtime/names.hpp"
#include "engine/runtime/supervisor_network.hpp"
#include "reconcile/compose_json.hpp"
#include "reconcile/json.hpp"
#include "reconcile/overloaded.hpp"

namespace engine {
namespace {

using nlohmann::json;

Status failed(const docker::Error& error) { return error_from(error); }

// Success, or the call's error; "no such object" counts as done for removals.
Status gone_is_fine(const docker::Status& status) {
  if (status.ok() || status.is_not_found()) return Status::success();
  return failed(status.error());
}

// As gone_is_fine, and a 409 "removal of container <name> is already in
// progress" too: someone else removes it (its AutoRemove, a CLI live push
// cleaning up its own), so it is as good as gone.
Status removed_or_being_removed(const docker::Status& status) {
  if (!status.ok() && status.error().kind == docker::ErrorKind::conflict &&
      status.error().message.find("is already in progress") != std::string::npos) {
    return Status::success();
  }
  return gone_is_fine(status);
}

// A network or volume create body from the compose module.
Status compose_body(const reconcile::Parsed<json>& parsed, const std::string& what, json& body) {
  if (!parsed.ok()) {
    return Status::failure(ErrorKind::Invalid, fmt::format("{} cannot be created: {}", what, parsed.error().to_string()));
  }
  body = parsed.value();
  return Status::success();
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
  // One overload per step type and no catch-all: a new step type does not
  // compile until it is carried out here.
  return std::visit(
      Overloaded{
          [&](const Fetch& s) { return fetch(s, cancel, progress); },
          [&](const Kill& s) { return kill(s.current); },
          [&](const Stop& s) { return stop(s.current); },
          [&](const Remove& s) { return remove_dead(s.current); },
          [&](const Start& s) { return start(s.target, AlreadyRunning::Fails); },
          [&](const UpdateMetadata& s) { return update_metadata(s.current, s.target); },
          [&](const Handover& s) { return handover(s.current, s.target); },
          [&](const RemoveImage& s) { return remove_image(s); },
          [&](const SaveImage& s) { return save_image(s.image); },
          [&](const CreateNetwork& s) { return create_network(s.target); },
          [&](const CreateVolume& s) { return create_volume(s.target); },
          [&](const RemoveNetwork& s) { return remove_network(s.current); },
          [&](const RemoveVolume& s) { return remove_volume(s.current); },
          [&](const TakeLock& s) { return locks_.take(s.app_id, s.services, s.force ? Force::Yes : Force::No); },
          [&](const ReleaseLock& s) { return locks_.release(s.app_id); },
          [&](const UpdateCommit& s) { return records_.set_commit(s.app_id, s.commit); },
          [&](const RequireReboot&) { return require_reboot(); },
          [&](const EnsureSupervisorNetwork&) { return supervisor_network::ensure(docker_); },
          // The loop waits between batches that only wait; nothing to do.
          [&](const Noop&) { return Status::success(); },
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
  auto inspected = docker_.inspect_image(image.docker_image_id.value_or(image.name));
  if (!inspected.ok()) return failed(inspected.error());
  reconcile::Image record = image;
  record.docker_image_id = inspected->id;
  return records_.add_image(record);
}

Status DockerExecutor::remove_image(const reconcile::RemoveImage& step) {
  if (Status removed = records_.remove_image(step.image); !removed.ok()) return removed;
  // The planner keeps the engine's image when another record still uses it.
  if (step.engine_copy == reconcile::EngineCopy::Keep) return Status::success();
  const docker::Status removed = docker_.remove_image(step.image.name, docker::Force::no);
  if (removed.ok() || removed.is_not_found()) return Status::success();
  // In use by a container the supervisor does not manage: it stays.
  if (removed.error().kind == docker::ErrorKind::conflict) return Status::success();
  return failed(removed.error());
}

Status DockerExecutor::verify(const reconcile::Service& current, bool& gone, std::string* name_now) {
  gone = false;
  if (!current.container_id) return Status::failure(ErrorKind::Invalid, "the step names no container");
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
  const bool same = app != labels.end() && app->second == fmt::to_string(current.app_id) &&
                    (service == labels.end() || service->second == current.service_name) && name &&
                    name->service_name == current.service_name;
  if (!same) {
    return Status::failure(ErrorKind::Conflict,
                           fmt::format("container {} is no longer service '{}' of app {}; leaving it alone",
                                       current.container_id->substr(0, 12), current.service_name, current.app_id));
  }
  if (name_now != nullptr) *name_now = inspected->name;
  return Status::success();
}

Status DockerExecutor::kill(const reconcile::Service& current) {
  bool gone = false;
  if (Status checked = verify(current, gone); !checked.ok() || gone) return checked;
  // The engine applies the container's StopTimeout (stop_grace_period).
  if (Status stopped = gone_is_fine(docker_.stop_container(*current.container_id, std::nullopt)); !stopped.ok()) {
    return stopped;
  }
  return removed_or_being_removed(
      docker_.remove_container(*current.container_id, docker::RemoveVolumes::remove, docker::Force::no));
}

Status DockerExecutor::stop(const reconcile::Service& current) {
  bool gone = false;
  if (Status checked = verify(current, gone); !checked.ok() || gone) return checked;
  return gone_is_fine(docker_.stop_container(*current.container_id, std::nullopt));
}

Status DockerExecutor::remove_dead(const reconcile::Service& current) {
  bool gone = false;
  if (Status checked = verify(current, gone); !checked.ok() || gone) return checked;
  return removed_or_being_removed(
      docker_.remove_container(*current.container_id, docker::RemoveVolumes::remove, docker::Force::yes));
}

Status DockerExecutor::start(const reconcile::Service& target, AlreadyRunning already_running) {
  // The planner names an existing container (created, not started) to start;
  // otherwise the container is created first.
  std::string id;
  if (target.container_id) {
    id = *target.container_id;
  } else if (Status created = create(target, id); !created.ok()) {
    return created;
  }
  // Created but not started: services that must not run, and services that
  // run only after the next reboot.
  if (!target.running || target.config().requires_reboot) return Status::success();
  const auto started = docker_.start_container_reporting(id);
  if (!started.ok()) return failed(started.error());
  if (started.value() == docker::StartOutcome::already_running && target.container_id &&
      already_running == AlreadyRunning::Fails) {
    // The snapshot (the engine's container list) said this container was not
    // running; the engine's start says it is. After a full engine disk dockerd
    // can run a container whose state it could not write, and its list keeps
    // the old state until the container changes again: taking the 304 as a
    // start would plan the same start at once, for ever. An update that
    // changes nothing makes dockerd write the state again (and its list
    // follow) once there is room; the step still fails, so the apply loop
    // backs off, says why, and reads the list again.
    const auto rewritten = docker_.update_container(id, docker::JsonBody{"{}"});
    return Status::failure(
        ErrorKind::Conflict,
        fmt::format("container {} answered 'already running' to a start, but the engine's container list says it "
                    "is not running: the engine's views of it disagree (its state could not be written? a full "
                    "disk); {}; retried after the backoff",
                    id.substr(0, 12),
                    rewritten.ok() ? "the engine was asked to write its state again"
                                   : fmt::format("asking the engine to write its state again failed: {}",
                                                 rewritten.error().describe())));
  }
  return Status::success();
}

Status DockerExecutor::create(const reconcile::Service& target, std::string& id) {
  json body;
  if (Status built = create_body_(target, body); !built.ok()) return built;
  json& labels = body["Labels"];
  if (!labels.is_object()) labels = json::object();
  labels[names::kComposition] = target.config().composition;
  labels[names::kImage] = target.image;
  // The body binds the service's lock directory; the service writes its
  // lockfiles there, so it must exist. The path is checked to stay under the
  // lock directory, whatever the service's name.
  const auto lock_dir = locks_.lock_dir(target.app_id, target.service_name);
  if (!lock_dir.ok()) return lock_dir.error();
  std::error_code made;
  std::filesystem::create_directories(lock_dir.value(), made);
  if (made) {
    return Status::failure(ErrorKind::FileSystem,
                           fmt::format("cannot create {}: {}", lock_dir.value(), made.message()));
  }
  // The engine takes one network in the create body; the others are joined.
  json extra_networks = json::object();
  if (body.contains("NetworkingConfig") && body["NetworkingConfig"].contains("EndpointsConfig")) {
    json& endpoints = body["NetworkingConfig"]["EndpointsConfig"];
    for (auto it = endpoints.begin(); it != endpoints.end();) {
      if (it == endpoints.begin()) {
        ++it;
        continue;
      }
      extra_networks[it.key()] = it.value();
      it = endpoints.erase(it);
    }
  }
  auto created = docker_.create_container(names::container_name(target), docker::body(body));
  if (!created.ok()) return failed(created.error());
  id = created.value();
  for (const auto& [network, endpoint] : extra_networks.items()) {
    const auto joined = docker_.connect_network(network, id, docker::body(endpoint));
    if (!joined.ok()) return failed(joined.error());
  }
  return Status::success();
}

Status DockerExecutor::update_metadata(const reconcile::Service& current, const reconcile::Service& target) {
  bool gone = false;
  if (Status checked = verify(current, gone); !checked.ok()) return checked;
  if (gone) {
    return Status::failure(ErrorKind::NotFound, fmt::format("container {} is gone", current.container_id->substr(0, 12)));
  }
  const auto renamed = docker_.rename_container(*current.container_id, names::container_name(target));
  return renamed.ok() ? Status::success() : failed(renamed.error());
}

Status DockerExecutor::handover(const reconcile::Service& current, const reconcile::Service& target) {
  bool gone = false;
  std::string name_now;
  if (Status checked = verify(current, gone, &name_now); !checked.ok()) return checked;
  if (!gone) {
    // The old container must not come back after a power loss, and must free
    // its name for the new one.
    if (auto cleared = docker_.update_restart_policy(*current.container_id, {}); !cleared.ok()) {
      return failed(cleared.error());
    }
    // A hand-over cut off after this rename (the daemon killed, the power
    // lost) finds the container renamed already; the engine refuses a rename
    // to the current name, which would fail this step for ever.
    const std::string old_name = fmt::format("old_{}", names::container_name(current));
    if (name_now != old_name) {
      if (auto renamed = docker_.rename_container(*current.container_id, old_name); !renamed.ok()) {
        return failed(renamed.error());
      }
    }
  }
  // The new container runs either way: the old one goes (two of the same
  // service must not run), so "already running" is not a failure here.
  if (Status started = start(target, AlreadyRunning::IsStarted); !started.ok()) return started;
  return gone ? Status::success() : kill(current);
}

Status DockerExecutor::create_network(const reconcile::Network& network) {
  json body;
  if (Status built = compose_body(reconcile::compose::network_create_body(reconcile::to_json(network)),
                                  fmt::format("network '{}'", network.name), body);
      !built.ok()) {
    return built;
  }
  auto created = docker_.create_network(docker::body(body));
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
  json body;
  if (Status built = compose_body(reconcile::compose::volume_create_body(reconcile::to_json(volume)),
                                  fmt::format("volume '{}'", volume.name), body);
      !built.ok()) {
    return built;
  }
  auto created = docker_.create_volume(docker::body(body));
  return created.ok() ? Status::success() : failed(created.error());
}

Status DockerExecutor::remove_volume(const reconcile::Volume& volume) {
  return gone_is_fine(docker_.remove_volume(names::volume_name(volume), docker::Force::no));
}

Status DockerExecutor::require_reboot() {
  if (settings_.reboot_breadcrumb.empty()) {
    return Status::failure(ErrorKind::Invalid, "no reboot breadcrumb path is configured");
  }
  const int fd = ::open(settings_.reboot_breadcrumb.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::failure(ErrorKind::FileSystem,
                           fmt::format("cannot write {}: {}", settings_.reboot_breadcrumb, std::strerror(errno)));
  }
  ::futimens(fd, nullptr);  // now: the breadcrumb counts when newer than the boot
  ::close(fd);
  return Status::success();
}

}  // namespace engine
