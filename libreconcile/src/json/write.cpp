// JSON output of the model and the steps (docs/plan-request.md).
#include "reconcile/json.hpp"
#include "reconcile/overloaded.hpp"

namespace reconcile {
namespace {

using nlohmann::json;

json string_map(const std::map<std::string, std::string>& map) {
  json out = json::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

json service_json(const Service& service, bool is_current) {
  // `running` is the service's, not its config's: the model engine stops a
  // container and keeps its config, whose composition still says it runs.
  // The reader takes running from the composition, so write the service's.
  json composition = json::parse(service.config().composition);
  if (composition.value("running", true) != service.running) composition["running"] = service.running;
  json out = {
      {"serviceName", service.service_name}, {"appId", service.app_id},
      {"appUuid", service.app_uuid},         {"serviceId", service.service_id},
      {"imageId", service.image_id},         {"releaseId", service.release_id},
      {"commit", service.commit},            {"image", service.image},
      {"composition", std::move(composition)},
  };
  if (service.docker_image_id) out["dockerImageId"] = *service.docker_image_id;
  if (is_current) {
    out["status"] = to_string(service.status);
    out["createdAt"] = format_time(service.created_at);
    if (service.container_id) out["containerId"] = *service.container_id;
    if (!service.exit_error.empty()) out["exitErrorMessage"] = service.exit_error;
  }
  return out;
}

json network_config_json(const NetworkConfig& config) {
  json pools = json::array();
  for (const IpamPool& pool : config.ipam_config) {
    json item = json::object();
    if (!pool.subnet.empty()) item["subnet"] = pool.subnet;
    if (!pool.gateway.empty()) item["gateway"] = pool.gateway;
    if (!pool.ip_range.empty()) item["ip_range"] = pool.ip_range;
    if (!pool.aux_addresses.empty()) item["aux_addresses"] = string_map(pool.aux_addresses);
    pools.push_back(std::move(item));
  }
  return {
      {"driver", config.driver},
      {"driver_opts", string_map(config.driver_opts)},
      {"ipam", {{"driver", config.ipam_driver}, {"config", pools}, {"options", string_map(config.ipam_options)}}},
      {"internal", config.internal},
      {"enable_ipv6", config.enable_ipv6},
      {"labels", string_map(config.labels)},
      {"config_only", config.config_only},
  };
}

json volume_config_json(const VolumeConfig& config) {
  return {{"driver", config.driver},
          {"driver_opts", string_map(config.driver_opts)},
          {"labels", string_map(config.labels)}};
}

json state_json(const State& state, bool is_current) {
  json apps = json::array();
  for (const App& app : state.apps) {
    json out = {{"appId", app.app_id}, {"appUuid", app.app_uuid}, {"isHost", app.is_host}};
    if (!app.name.empty()) out["name"] = app.name;
    if (!is_current) out["isRejected"] = app.is_rejected;
    if (app.commit) out["commit"] = *app.commit;
    if (app.release_id) out["releaseId"] = *app.release_id;
    out["services"] = json::array();
    for (const Service& service : app.services) out["services"].push_back(service_json(service, is_current));
    out["networks"] = json::array();
    for (const Network& network : app.networks) out["networks"].push_back(to_json(network));
    out["volumes"] = json::array();
    for (const Volume& volume : app.volumes) out["volumes"].push_back(to_json(volume));
    apps.push_back(std::move(out));
  }
  return {{"apps", apps}};
}

}  // namespace

json to_json(const Service& service) { return service_json(service, service.container_id.has_value()); }

json to_json(const Image& image) {
  json out = {{"name", image.name},           {"appId", image.app_id},
              {"appUuid", image.app_uuid},    {"serviceName", image.service_name},
              {"serviceId", image.service_id}, {"imageId", image.image_id},
              {"releaseId", image.release_id}, {"commit", image.commit}};
  if (image.docker_image_id) out["dockerImageId"] = *image.docker_image_id;
  return out;
}

json to_json(const Network& network) {
  return {{"name", network.name},
          {"appId", network.app_id},
          {"appUuid", network.app_uuid},
          {"config", network_config_json(network.config)}};
}

json to_json(const Volume& volume) {
  return {{"name", volume.name},
          {"appId", volume.app_id},
          {"appUuid", volume.app_uuid},
          {"config", volume_config_json(volume.config)}};
}

json to_json(const App& app) { return state_json(State{{app}}, false)["apps"][0]; }
json to_json(const State& state) { return state_json(state, false); }

json to_json(const Context& context) {
  json images = json::array();
  for (const Image& image : context.available_images) images.push_back(to_json(image));
  json engine_images = json::array();
  for (const EngineImage& image : context.engine_images) {
    engine_images.push_back({{"id", image.id}, {"references", image.references}});
  }
  json ids = json::object();
  for (const auto& [app_id, services] : context.container_ids) ids[std::to_string(app_id)] = string_map(services);
  return {{"now", format_time(context.now)},
          {"bootTime", format_time(context.boot_time)},
          {"availableImages", images},
          {"engineImages", engine_images},
          {"downloading", context.downloading},
          {"containerIds", ids},
          {"locksHeld", context.locks_held},
          {"hasLeftoverLocks", context.has_leftover_locks},
          {"keepVolumes", context.keep_volumes},
          {"keepImages", context.keep_images},
          {"startStopped", context.start_stopped},
          {"force", context.force},
          {"rebootBreadcrumbSet", context.reboot_breadcrumb_set},
          {"supervisorNetworkReady", context.supervisor_network_ready}};
}

json to_json(const PlanRequest& request) {
  return {{"current", state_json(request.current, true)},
          {"target", state_json(request.target, false)},
          {"context", to_json(request.context)}};
}

json to_json(const Step& step) {
  json out = {{"action", action_name(step)}};
  const auto service_pair = [&out](const Service& current, const Service& target) {
    out["current"] = service_json(current, true);
    out["target"] = service_json(target, false);
  };
  std::visit(
      Overloaded{
          [&](const Fetch& s) {
            out["image"] = to_json(s.image);
            out["serviceName"] = s.service_name;
          },
          [&](const Kill& s) { out["current"] = service_json(s.current, true); },
          [&](const Stop& s) { out["current"] = service_json(s.current, true); },
          [&](const Remove& s) { out["current"] = service_json(s.current, true); },
          [&](const Start& s) {
            out["target"] = service_json(s.target, false);
            // The container to start; absent: create one first.
            if (s.target.container_id) out["target"]["containerId"] = *s.target.container_id;
          },
          [&](const UpdateMetadata& s) { service_pair(s.current, s.target); },
          [&](const Handover& s) { service_pair(s.current, s.target); },
          [&](const RemoveImage& s) {
            out["image"] = to_json(s.image);
            out["engineCopy"] = s.engine_copy == EngineCopy::Keep ? "keep" : "delete";
          },
          [&](const SaveImage& s) { out["image"] = to_json(s.image); },
          [&](const CreateNetwork& s) { out["target"] = to_json(s.target); },
          [&](const CreateVolume& s) { out["target"] = to_json(s.target); },
          [&](const RemoveNetwork& s) { out["current"] = to_json(s.current); },
          [&](const RemoveVolume& s) { out["current"] = to_json(s.current); },
          [&](const TakeLock& s) {
            out["appId"] = s.app_id;
            out["services"] = s.services;
            out["force"] = s.force;
          },
          [&](const ReleaseLock& s) { out["appId"] = s.app_id; },
          [&](const UpdateCommit& s) {
            out["appId"] = s.app_id;
            out["target"] = s.commit;
          },
          [&](const RequireReboot& s) {
            out["appId"] = s.app_id;
            out["serviceName"] = s.service_name;
          },
          [](const EnsureSupervisorNetwork&) {},
          [](const Noop&) {},
      },
      step);
  out["reason"] = reason_of(step);
  return out;
}

json to_json(const std::vector<Step>& steps) {
  json list = json::array();
  for (const Step& step : steps) list.push_back(to_json(step));
  return {{"steps", list}};
}

}  // namespace reconcile
