// JSON forms of the status projections (local-api.md, cloud-protocol.md §5.3).
#include "reconcile/json.hpp"
#include "reconcile/status_json.hpp"

namespace reconcile {
namespace {

using nlohmann::json;

json optional_int(const std::optional<int>& value) { return value ? json(*value) : json(nullptr); }

json container_json(const ContainerStatus& container) {
  json out = {{"status", to_string(container.status)},
              {"serviceName", container.service_name},
              {"appId", container.app_id},
              {"imageId", container.image_id},
              {"serviceId", container.service_id},
              {"createdAt", format_time(container.created_at)}};
  if (container.container_id) out["containerId"] = *container.container_id;
  return out;
}

json image_json(const ImageStatus& image) {
  json out = image.record ? to_json(*image.record) : json{{"name", image.name}};
  out["status"] = to_string(image.state);
  out["downloadProgress"] = optional_int(image.download_progress);
  return out;
}

}  // namespace

json state_status_json(const DeviceStatus& status) {
  json containers = json::array();
  for (const ContainerStatus& container : status.containers) containers.push_back(container_json(container));
  json images = json::array();
  for (const ImageStatus& image : status.images) images.push_back(image_json(image));
  json out = {{"status", "success"},
              {"appState", to_string(status.app_state)},
              {"overallDownloadProgress", optional_int(status.overall_download_progress)},
              {"containers", std::move(containers)},
              {"images", std::move(images)}};
  if (status.release) out["release"] = *status.release;
  return out;
}

json device_summary_json(const DeviceSummary& summary) {
  json out = {{"update_pending", summary.update.pending},
              {"update_failed", summary.update.failed},
              {"update_downloaded", summary.update.downloaded},
              {"status", summary_status_text(summary.status)},
              {"download_progress", optional_int(summary.download_progress)}};
  if (summary.commit) out["commit"] = *summary.commit;
  return out;
}

json applications_state_json(const std::vector<ApplicationState>& apps) {
  json out = json::object();
  for (const ApplicationState& app : apps) {
    json services = json::object();
    for (const ServiceReport& service : app.services) {
      services[service.service_name] = {{"status", to_string(service.status)},
                                        {"image", service.image},
                                        {"downloadProgress", optional_int(service.download_progress)},
                                        {"releaseId", service.release_id}};
    }
    out[app.name] = {{"appId", app.app_id},
                     {"appUuid", app.app_uuid},
                     {"commit", app.commit},
                     {"updateStatus", to_string(app.update_status)},
                     {"services", std::move(services)}};
  }
  return out;
}

json apps_report_json(const std::vector<AppReport>& apps) {
  json out = json::object();
  for (const AppReport& app : apps) {
    json releases = json::object();
    for (const ReleaseReport& release : app.releases) {
      json entry = {{"update_status", to_string(release.update_status)}};
      json services = json::object();
      for (const ServiceReport& service : release.services) {
        json reported = {{"image", service.image}, {"status", to_string(service.status)}};
        if (service.download_progress) reported["download_progress"] = *service.download_progress;
        services[service.service_name] = std::move(reported);
      }
      if (!services.empty()) entry["services"] = std::move(services);  // empty objects are not sent
      releases[release.commit] = std::move(entry);
    }
    json report = {{"releases", std::move(releases)}};
    if (app.release_uuid) report["release_uuid"] = *app.release_uuid;
    out[app.app_uuid] = std::move(report);
  }
  return out;
}

}  // namespace reconcile
