#include "engine/runtime/docker_reader.hpp"

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/docker/json.hpp"
#include "engine/runtime/names.hpp"
#include "reconcile/json.hpp"

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

// The planner's status for the engine's state of a container.
const char* status_of(const std::string& state) {
  if (state == "running") return "Running";
  if (state == "created") return "Installed";
  if (state == "dead") return "Dead";
  if (state == "paused") return "paused";
  if (state == "restarting") return "restarting";
  if (state == "removing") return "removing";
  return "exited";
}

std::map<std::string, std::string> string_map(const json& object) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return out;
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) out[key] = value.get<std::string>();
  }
  return out;
}

reconcile::NetworkConfig network_config(const json& raw) {
  reconcile::NetworkConfig config;
  config.driver = raw.value("Driver", "bridge");
  config.driver_opts = string_map(raw.value("Options", json::object()));
  const json ipam = raw.value("IPAM", json::object());
  config.ipam_driver = ipam.is_object() ? ipam.value("Driver", "default") : "default";
  if (ipam.is_object()) {
    config.ipam_options = string_map(ipam.value("Options", json::object()));
    for (const auto& pool : ipam.value("Config", json::array())) {
      if (!pool.is_object()) continue;
      reconcile::IpamPool out;
      out.subnet = pool.value("Subnet", "");
      out.gateway = pool.value("Gateway", "");
      out.ip_range = pool.value("IPRange", "");
      out.aux_addresses = string_map(pool.value("AuxiliaryAddresses", json::object()));
      config.ipam_config.push_back(std::move(out));
    }
    std::sort(config.ipam_config.begin(), config.ipam_config.end());
  }
  config.internal = raw.value("Internal", false);
  config.enable_ipv6 = raw.value("EnableIPv6", false);
  config.config_only = raw.value("ConfigOnly", false);
  config.labels = string_map(raw.value("Labels", json::object()));
  return config;
}

bool image_present(const reconcile::Image& image, const std::set<std::string>& references,
                   const std::set<std::string>& ids) {
  if (image.docker_image_id && ids.contains(*image.docker_image_id)) return true;
  if (references.contains(image.name)) return true;
  // A reference without tag or digest means :latest.
  const auto slash = image.name.rfind('/');
  const auto tail = image.name.substr(slash == std::string::npos ? 0 : slash + 1);
  return tail.find(':') == std::string::npos && image.name.find('@') == std::string::npos &&
         references.contains(image.name + ":latest");
}

reconcile::App& app_of(std::map<reconcile::AppId, reconcile::App>& apps, reconcile::AppId id,
                       const std::string& uuid) {
  auto [it, added] = apps.try_emplace(id);
  if (added) {
    it->second.app_id = id;
    it->second.app_uuid = uuid.empty() ? std::to_string(id) : uuid;
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
  context.locks_held = locks_.held();
  struct stat breadcrumb {};
  context.reboot_breadcrumb_set = !settings_.reboot_breadcrumb.empty() &&
                                  ::stat(settings_.reboot_breadcrumb.c_str(), &breadcrumb) == 0 &&
                                  breadcrumb.st_mtime > context.boot_time;

  std::map<reconcile::AppId, reconcile::App> apps;
  docker::Filters supervised = {{"label", {names::kSupervised}}};
  if (!settings_.scope_label.empty()) supervised["label"].push_back(settings_.scope_label);

  // Containers.
  auto containers = docker_.list_containers(supervised, docker::ListScope::all);
  if (!containers) return Status::failure(containers.error().describe());
  for (const auto& container : containers.value()) {
    const auto app_id = label_number(container.labels, names::kAppId);
    const auto service_id = label_number(container.labels, names::kServiceId);
    const auto name = names::parse_container_name(container.name);
    if (!app_id || !service_id || !name) continue;  // not one of ours after all
    json service = {{"serviceName", label_or(container.labels, names::kServiceName, name->service_name)},
                    {"appId", *app_id},
                    {"appUuid", label_or(container.labels, names::kAppUuid, std::to_string(*app_id))},
                    {"serviceId", *service_id},
                    {"imageId", name->image_id},
                    {"releaseId", name->release_id},
                    {"commit", name->commit},
                    {"image", label_or(container.labels, names::kImage, container.image)},
                    {"dockerImageId", container.image_id},
                    {"containerId", container.id},
                    {"status", status_of(container.state)},
                    {"createdAt", reconcile::format_time(container.created)}};
    json composition = docker::parse_raw(label_or(container.labels, names::kComposition, "{}"));
    if (!composition.is_object()) composition = json::object();
    composition["running"] = container.state == "running";
    service["composition"] = std::move(composition);
    if (container.state == "exited") {
      // The engine's error (e.g. a port it could not bind) is only in inspect.
      if (auto inspect = docker_.inspect_container(container.id)) {
        const json raw = docker::parse_raw(inspect->raw);
        if (raw.is_object() && raw.contains("State")) service["exitErrorMessage"] = raw["State"].value("Error", "");
      }
    }
    auto parsed = reconcile::service_from_json(service, true, context.now);
    if (!parsed.ok()) continue;  // a label we cannot read: leave the container alone
    reconcile::Service current = std::move(parsed).value();
    context.container_ids[current.app_id][current.service_name] = *current.container_id;
    app_of(apps, current.app_id, current.app_uuid).services.push_back(std::move(current));
  }

  // Networks: <appUuid>_<name>, labelled with the app id.
  auto networks = docker_.list_networks(supervised);
  if (!networks) return Status::failure(networks.error().describe());
  for (const auto& network : networks.value()) {
    const auto app_id = label_number(network.labels, names::kAppId);
    const auto split = network.name.find('_');
    if (!app_id || split == std::string::npos || split + 1 >= network.name.size()) continue;
    reconcile::Network item;
    item.app_id = *app_id;
    item.app_uuid = network.name.substr(0, split);
    item.name = network.name.substr(split + 1);
    item.config = network_config(docker::parse_raw(network.raw));
    app_of(apps, item.app_id, item.app_uuid).networks.push_back(std::move(item));
  }

  // Volumes: <appId>_<name>.
  auto volumes = docker_.list_volumes(supervised);
  if (!volumes) return Status::failure(volumes.error().describe());
  for (const auto& volume : volumes.value()) {
    const auto split = volume.name.find('_');
    if (split == std::string::npos || split + 1 >= volume.name.size()) continue;
    reconcile::Volume item;
    try {
      item.app_id = std::stoll(volume.name.substr(0, split));
    } catch (const std::exception&) {
      continue;
    }
    item.name = volume.name.substr(split + 1);
    item.app_uuid = label_or(volume.labels, names::kAppUuid, std::to_string(item.app_id));
    item.config.driver = volume.driver.empty() ? "local" : volume.driver;
    const json raw = docker::parse_raw(volume.raw);
    if (raw.is_object()) item.config.driver_opts = string_map(raw.value("Options", json::object()));
    item.config.labels = volume.labels;
    app_of(apps, item.app_id, item.app_uuid).volumes.push_back(std::move(item));
  }

  // Image records of images the engine still has.
  std::vector<reconcile::Image> records;
  if (Status listed = records_.images(records); !listed.ok()) return listed;
  auto images = docker_.list_images({});
  if (!images) return Status::failure(images.error().describe());
  std::set<std::string> references;
  std::set<std::string> ids;
  for (const auto& image : images.value()) {
    ids.insert(image.id);
    references.insert(image.repo_tags.begin(), image.repo_tags.end());
    references.insert(image.repo_digests.begin(), image.repo_digests.end());
  }
  for (const auto& record : records) {
    if (image_present(record, references, ids)) context.available_images.push_back(record);
  }

  std::map<reconcile::AppId, std::string> commits;
  if (Status read = records_.commits(commits); !read.ok()) return read;
  for (const auto& [app_id, commit] : commits) {
    if (auto it = apps.find(app_id); it != apps.end()) it->second.commit = commit;
  }
  for (auto& [id, app] : apps) out.current.apps.push_back(std::move(app));
  return Status::success();
}

}  // namespace engine
