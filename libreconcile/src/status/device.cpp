// The device-wide projections: /v2/state/status, /v1/device and the update
// flags.
#include <map>
#include <string>
#include <vector>

#include <range/v3/algorithm/any_of.hpp>
#include <range/v3/algorithm/find_if.hpp>
#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/concat.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/join.hpp>
#include <range/v3/view/map.hpp>
#include <range/v3/view/transform.hpp>

#include "reconcile/status.hpp"
#include "status/internal.hpp"

namespace reconcile {
namespace {

namespace views = ranges::views;

ContainerStatus container_status(const Service& container) {
  return {container.status,     container.service_name, container.app_id,    container.image_id,
          container.service_id, container.container_id, container.created_at};
}

ImageStatus recorded_image(const Image& record) {
  return {record.name, record, ImageState::Downloaded, std::nullopt};
}

ImageStatus downloading_image(const std::pair<const std::string, int>& download) {
  return {download.first, std::nullopt, ImageState::Downloading, download.second};
}

// A target app still on its way: not installed, or not at its target release.
bool is_updating(const App& target, const State& current) {
  const App* app = status_detail::find_app(current, target.app_id);
  return !target.is_rejected && (app == nullptr || app->commit != target.commit);
}

}  // namespace

AppState app_state(const ApplyProgress& progress) {
  const bool steps_remain = progress.run_in_progress || (progress.has_target && !progress.last_plan_empty);
  return steps_remain ? AppState::Applying : AppState::Applied;
}

UpdateFlags update_flags(const StatusInput& input) {
  UpdateFlags flags;
  flags.pending = app_state(input.progress) == AppState::Applying;
  flags.failed = input.progress.failures > 0;
  if (flags.pending && input.target) {
    // An image of the update: of a service of an app that has not reached
    // its target release yet, on the device or pulled to the end.
    const auto downloaded = [&](const Service& service) {
      const auto pulled = input.progress.download_progress.find(service.image);
      return (pulled != input.progress.download_progress.end() && pulled->second >= 100) ||
             ranges::any_of(input.images, [&](const Image& image) { return image.name == service.image; });
    };
    flags.downloaded = ranges::any_of(
        input.target->apps | views::filter([&](const App& app) { return is_updating(app, input.current); }) |
            views::transform(&App::services) | views::join,
        downloaded);
  }
  return flags;
}

DeviceStatus device_status(const StatusInput& input) {
  DeviceStatus out;
  out.app_state = app_state(input.progress);
  out.containers = input.current.apps | views::transform(&App::services) | views::join |
                   views::transform(container_status) | ranges::to<std::vector>();
  out.images = views::concat(input.images | views::transform(recorded_image),
                             input.progress.download_progress | views::transform(downloading_image)) |
               ranges::to<std::vector>();
  const auto& downloads = input.progress.download_progress;
  if (!downloads.empty()) {
    const int sum = ranges::accumulate(downloads | views::values, 0);
    out.overall_download_progress = sum / static_cast<int>(downloads.size());
  }
  const auto known = ranges::find_if(input.current.apps, [](const App& app) { return app.commit.has_value(); });
  if (known != input.current.apps.end()) out.release = known->commit;
  return out;
}

DeviceSummary device_summary(const StatusInput& input) {
  DeviceSummary out;
  out.update = update_flags(input);
  if (!input.current.apps.empty()) {
    const App& first = input.current.apps.front();
    if (!out.update.pending) out.commit = first.commit;
    if (!first.services.empty()) {
      out.status = first.services.front().status;
      return out;
    }
  }
  // No container to show: the first target service's download, if any.
  if (input.target && !input.target->apps.empty() && !input.target->apps.front().services.empty()) {
    const Service& service = input.target->apps.front().services.front();
    const auto pulled = input.progress.download_progress.find(service.image);
    if (pulled != input.progress.download_progress.end()) {
      out.status = ServiceStatus::Downloading;
      out.download_progress = pulled->second;
    }
  }
  return out;
}

}  // namespace reconcile
