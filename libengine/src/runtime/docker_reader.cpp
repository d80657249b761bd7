#include "engine/runtime/docker_reader.hpp"

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include <range/v3/range/conversion.hpp>
#include <range/v3/view/concat.hpp>
#include <range/v3/view/filter.hpp>

#include "engine/docker/json.hpp"
#include "engine/runtime/docker_errors.hpp"
#include "engine/runtime/names.hpp"
#include "engine/runtime/supervisor_network.hpp"
#include "reconcile/compose_json.hpp"
#include "reconcile/json.hpp"
#include "reconcile/status.hpp"

namespace engine {
namespace {

using nlohmann::json;

std::string label_or(const docker::Labels& labels, const char* key, const std::string& fallback = "") {
  auto it = labels.find(key);
  return it == labels.end() ? fallback : it->second;
}

std::optional<std::int64_t> label_number(const docker::Labels& labels, const char* key) {
  try {
    auto it = labels.find(key);
    if (it != labels.end()) return std::stoll(it->second);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// An object the supervisor labelled but cannot read fails the snapshot: left
// out, the planner would create a second one beside it.
Status unreadable(const std::string& what, const std::string& why) {
  return Status::failure(ErrorKind::BadResponse, fmt::format("cannot read {}: {}", what, why));
}

// PREFIX_NAME with both parts non-empty: how app networks and volumes are named.
bool is_app_component_name(const std::string& name) {
  const auto split = name.find('_');
  return split != std::string::npos && split > 0 && split + 1 < name.size();
}

bool is_app_volume_name(const std::string& name) {
  const auto digits = name.substr(0, name.find('_'));
  return is_app_component_name(name) && digits.size() <= 18 &&
         std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool image_present(const reconcile::Image& image, const std::set<std::string>& references,
                   const std::set<std::string>& ids) {
  if (image.docker_image_id && ids.contains(*image.docker_image_id)) return true;
  if (references.contains(image.name)) return true;
  // A reference without tag or digest means :latest.
  const auto slash = image.name.rfind('/');
  const auto tail = image.name.substr(slash == std::string::npos ? 0 : slash + 1);
  return tail.find(':') == std::string::npos && image.name.find('@') == std::string::npos &&
         references.contains(fmt::format("{}:latest", image.name));
}

reconcile::App& app_of(std::map<reconcile::AppId, reconcile::App>& apps, reconcile::AppId id,
                       const std::string& uuid) {
  auto [it, added] = apps.try_emplace(id);
  if (added) {
    it->second.app_id = id;
    it->second.app_uuid = uuid.empty() ? fmt::to_string(id) : uuid;
  }
  return it->second;
}

}  // namespace

reconcile::Seconds boot_time() {
  std::ifstream stat("/proc/stat");
  std::string line;
  while (std::getline(stat, line)) {
    if (line.rfind("btime ", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

DockerReader::DockerReader(const docker::Client& docker, Records& records, const UpdateLocks& locks,
                           const Downloads& downloads, RuntimeSettings settings)
    : docker_(docker), records_(records), locks_(locks), downloads_(downloads), settings_(std::move(settings)) {}

Status DockerReader::read(Snapshot& out) {
  out = Snapshot{};
  auto& context = out.context;
  context.now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  context.boot_time = boot_time();
  context.keep_images = settings_.keep_images;
  context.keep_volumes = settings_.keep_volumes;
  context.downloading = downloads_.list();
  auto held = locks_.held();
  if (!held) return held.error();
  context.locks_held = std::move(held).value();
  struct stat breadcrumb {};
  context.reboot_breadcrumb_set = !settings_.reboot_breadcrumb.empty() &&
                                  ::stat(settings_.reboot_breadcrumb.c_str(), &breadcrumb) == 0 &&
                                  breadcrumb.st_mtime > context.boot_time;

  std::map<reconcile::AppId, reconcile::App> apps;
  docker::Filters supervised = {{"label", {names::kSupervised}}};
  if (!settings_.scope_label.empty()) supervised["label"].push_back(settings_.scope_label);
  if (Status read = read_containers(supervised, context, apps); !read.ok()) return read;
  if (Status read = read_networks(supervised, apps); !read.ok()) return read;
  if (Status read = read_volumes(supervised, apps); !read.ok()) return read;
  if (Status read = read_images(context); !read.ok()) return read;
  if (settings_.manage_supervisor_network) {
    auto ready = supervisor_network::ready(docker_);
    if (!ready.ok()) return ready.error();
    context.supervisor_network_ready = ready.value();
  }

  std::map<reconcile::AppId, std::string> commits;
  if (Status read = records_.commits(commits); !read.ok()) return read;
  for (const auto& [app_id, commit] : commits) {
    if (auto it = apps.find(app_id); it != apps.end()) it->second.commit = commit;
  }
  for (auto& [id, app] : apps) out.current.apps.push_back(std::move(app));
  return Status::success();
}

Status DockerReader::read_containers(const docker::Filters& supervised, reconcile::Context& context,
                                     std::map<reconcile::AppId, reconcile::App>& apps) {
  auto containers = docker_.list_containers(supervised, docker::ListScope::all);
  if (!containers) return error_from(containers.error());
  // Every app's containers by service name, for adopting one that shares
  // another's network stack (network_mode service:NAME).
  std::map<std::string, std::map<std::string, std::string>> ids_by_app;
  for (const auto& container : containers.value()) {
    ids_by_app[label_or(container.labels, names::kAppId)][label_or(container.labels, names::kServiceName)] =
        container.id;
  }
  for (const auto& container : containers.value()) {
    const std::string what = fmt::format("container {}", container.name);
    const auto app_id = label_number(container.labels, names::kAppId);
    const auto service_id = label_number(container.labels, names::kServiceId);
    const auto name = names::parse_container_name(container.name);
    // A name the supervisor never gives cannot be mistaken for a service.
    if (!name) continue;
    if (!app_id || !service_id) return unreadable(what, "its app or service id label is missing or not a number");
    json service = {{"serviceName", label_or(container.labels, names::kServiceName, name->service_name)},
                    {"appId", *app_id},
                    {"appUuid", label_or(container.labels, names::kAppUuid, fmt::to_string(*app_id))},
                    {"serviceId", *service_id},
                    {"imageId", name->image_id},
                    {"releaseId", name->release_id},
                    {"commit", name->commit},
                    {"image", label_or(container.labels, names::kImage, container.image)},
                    {"dockerImageId", container.image_id},
                    {"containerId", container.id},
                    {"status", reconcile::to_string(reconcile::status_from_engine_state(container.state))},
                    {"createdAt", reconcile::format_time(container.created)}};
    json composition = docker::parse_raw(label_or(container.labels, names::kComposition, "{}"));
    if (!composition.is_object()) return unreadable(what, fmt::format("its label {} is not a JSON object", names::kComposition));
    if (adoption_ != nullptr && !container.labels.contains(names::kComposition)) {
      // Another supervisor's container (a switch-over): adopted when it
      // equals its target service, left with no composition otherwise.
      std::optional<docker::Error> failed;
      bool gone = false;
      const auto inspect = [&]() -> std::optional<json> {
        auto found = docker_.inspect_container(container.id);
        if (found) return docker::parse_raw(found->raw);
        if (found.error().is_not_found()) {
          gone = true;
        } else {
          failed = found.error();
        }
        return std::nullopt;
      };
      auto adopted = adoption_->adopt(container, inspect, ids_by_app[label_or(container.labels, names::kAppId)]);
      if (failed) return error_from(*failed);
      if (gone) continue;  // removed since it was listed
      if (adopted) {
        composition = docker::parse_raw(adopted->composition);
        service["image"] = adopted->image;
      }
    }
    composition["running"] = container.state == "running";
    service["composition"] = std::move(composition);
    if (container.state == "exited") {
      // The engine's error (e.g. a port it could not bind) is only in inspect.
      auto inspect = docker_.inspect_container(container.id);
      if (!inspect) {
        if (inspect.error().is_not_found()) continue;  // removed since it was listed
        return error_from(inspect.error());
      }
      const json raw = docker::parse_raw(inspect->raw);
      if (raw.is_object() && raw.contains("State")) service["exitErrorMessage"] = raw["State"].value("Error", "");
    }
    auto parsed = reconcile::service_from_json(service, true, context.now);
    if (!parsed.ok()) return unreadable(what, parsed.error().to_string());
    reconcile::Service current = std::move(parsed).value();
    context.container_ids[current.app_id][current.service_name] = *current.container_id;
    app_of(apps, current.app_id, current.app_uuid).services.push_back(std::move(current));
  }
  return Status::success();
}

Status DockerReader::read_networks(const docker::Filters& supervised,
                                   std::map<reconcile::AppId, reconcile::App>& apps) {
  auto networks = docker_.list_networks(supervised);
  if (!networks) return error_from(networks.error());
  for (const auto& network : networks.value()) {
    if (!is_app_component_name(network.name)) continue;  // never one of ours: APPUUID_NAME
    const std::string what = fmt::format("network {}", network.name);
    auto compose = reconcile::compose::network_from_engine(docker::parse_raw(network.raw));
    if (!compose.ok()) return unreadable(what, compose.error().to_string());
    auto item = reconcile::network_from_json(compose.value());
    if (!item.ok()) return unreadable(what, item.error().to_string());
    app_of(apps, item.value().app_id, item.value().app_uuid).networks.push_back(std::move(item).value());
  }
  return Status::success();
}

Status DockerReader::read_volumes(const docker::Filters& supervised,
                                  std::map<reconcile::AppId, reconcile::App>& apps) {
  auto volumes = docker_.list_volumes(supervised);
  if (!volumes) return error_from(volumes.error());
  for (const auto& volume : volumes.value()) {
    if (!is_app_volume_name(volume.name)) continue;  // never one of ours: APPID_NAME
    const std::string what = fmt::format("volume {}", volume.name);
    auto compose = reconcile::compose::volume_from_engine(docker::parse_raw(volume.raw));
    if (!compose.ok()) return unreadable(what, compose.error().to_string());
    auto item = reconcile::volume_from_json(compose.value());
    if (!item.ok()) return unreadable(what, item.error().to_string());
    app_of(apps, item.value().app_id, item.value().app_uuid).volumes.push_back(std::move(item).value());
  }
  return Status::success();
}

Status DockerReader::read_images(reconcile::Context& context) {
  std::vector<reconcile::Image> records;
  if (Status listed = records_.images(records); !listed.ok()) return listed;
  auto images = docker_.list_images({});
  if (!images) return error_from(images.error());
  std::set<std::string> references;
  std::set<std::string> ids;
  for (const auto& image : images.value()) {
    ids.insert(image.id);
    reconcile::EngineImage held{image.id, {}};
    for (const auto& reference : ranges::views::concat(image.repo_tags, image.repo_digests)) {
      if (reference.find("<none>") != std::string::npos) continue;  // untagged: no reference
      references.insert(reference);
      held.references.push_back(reference);
    }
    context.engine_images.push_back(std::move(held));
  }
  std::sort(context.engine_images.begin(), context.engine_images.end());
  context.available_images = records | ranges::views::filter([&](const reconcile::Image& record) {
                               return image_present(record, references, ids);
                             }) |
                             ranges::to<std::vector>();
  return Status::success();
}

}  // namespace engine
