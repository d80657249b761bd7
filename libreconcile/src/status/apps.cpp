// The per-app projections: the cloud report's `apps` (cloud-protocol.md
// §5.3) and /v2/applications/state, which shows the target release of it.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <range/v3/algorithm/any_of.hpp>
#include <range/v3/algorithm/find_if.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/join.hpp>
#include <range/v3/view/map.hpp>
#include <range/v3/view/transform.hpp>

#include "reconcile/status.hpp"
#include "status/internal.hpp"

namespace reconcile {

namespace views = ranges::views;

namespace status_detail {
namespace {

UpdateStatus update_status_of(const std::vector<ServiceReport>& services) {
  const auto downloading = [](const ServiceReport& s) { return s.download_progress && *s.download_progress != 100; };
  const auto downloaded = [](const ServiceReport& s) { return s.status == EntryStatus::Downloaded; };
  const auto applying = [](const ServiceReport& s) {
    return s.status == EntryStatus::Installing || s.status == EntryStatus::Installed ||
           s.status == EntryStatus::AwaitingHandover;
  };
  if (ranges::any_of(services, downloading)) return UpdateStatus::Downloading;
  if (ranges::any_of(services, downloaded)) return UpdateStatus::Downloaded;
  if (ranges::any_of(services, applying)) return UpdateStatus::ApplyingChanges;
  return UpdateStatus::Done;
}

}  // namespace

std::string target_commit(const App& target) {
  if (target.commit) return *target.commit;
  return target.services.empty() ? std::string() : target.services.front().commit;
}

const App* find_app(const State& state, AppId app_id) {
  const auto found = ranges::find_if(state.apps, [&](const App& app) { return app.app_id == app_id; });
  return found == state.apps.end() ? nullptr : &*found;
}

std::vector<ReleaseReport> releases_of(const App& target, const StatusInput& input) {
  // (commit, service name) -> entry; the first source that knows an entry
  // gives it: the container, then a download, then the image record, then
  // the target service.
  std::map<std::pair<std::string, std::string>, ServiceReport> entries;
  const auto add = [&entries](const std::string& commit, ServiceReport entry) {
    entries.try_emplace({commit, entry.service_name}, std::move(entry));
  };
  const auto of_app = [&](const auto& item) { return item.app_id == target.app_id; };
  const auto on_device = [&](const Service& service) {
    return ranges::any_of(input.images, [&](const Image& image) { return image.name == service.image; });
  };
  const auto& downloads = input.progress.download_progress;

  for (const Service& container : input.current.apps | views::filter(of_app) | views::transform(&App::services) |
                                      views::join) {
    if (container.image.empty()) continue;  // not reported without an image
    add(container.commit, {container.service_name, normalize_image_reference(container.image),
                           entry_status(container.status), std::nullopt, container.release_id});
  }
  if (!target.is_rejected) {
    for (const Service& service : target.services) {
      const auto pulled = downloads.find(service.image);
      if (pulled == downloads.end()) continue;
      add(service.commit, {service.service_name, normalize_image_reference(service.image), EntryStatus::Downloading,
                           pulled->second, service.release_id});
    }
  }
  for (const Image& record : input.images | views::filter(of_app)) {
    add(record.commit, {record.service_name, normalize_image_reference(record.name), EntryStatus::Downloaded,
                        std::nullopt, record.release_id});
  }
  if (!target.is_rejected) {
    for (const Service& service : target.services) {
      const bool have = on_device(service);
      add(service.commit, {service.service_name, normalize_image_reference(service.image),
                           have ? EntryStatus::Downloaded : EntryStatus::Downloading,
                           have ? std::nullopt : std::optional<int>(0), service.release_id});
    }
  }

  std::map<std::string, ReleaseReport> releases;
  for (auto& [key, entry] : entries) {
    ReleaseReport& release = releases[key.first];
    release.commit = key.first;
    release.services.push_back(std::move(entry));
  }
  for (auto& [commit, release] : releases) release.update_status = update_status_of(release.services);
  if (target.is_rejected) {
    // Its target release is only named, as rejected.
    const std::string commit = target_commit(target);
    releases[commit] = ReleaseReport{commit, UpdateStatus::Rejected, {}};
  }
  return releases | views::values | ranges::to<std::vector>();
}

}  // namespace status_detail

std::vector<AppReport> apps_report(const StatusInput& input) {
  if (!input.target) return {};
  return input.target->apps | views::transform([&](const App& target) {
           const App* current = status_detail::find_app(input.current, target.app_id);
           return AppReport{target.app_id, target.app_uuid, current ? current->commit : std::nullopt,
                            status_detail::releases_of(target, input)};
         }) |
         ranges::to<std::vector>();
}

std::vector<ApplicationState> applications_state(const StatusInput& input) {
  if (!input.target) return {};
  return input.target->apps | views::transform([&](const App& target) {
           ApplicationState out;
           out.name = target.name.empty() ? fmt::format("{}", target.app_id) : target.name;
           out.app_id = target.app_id;
           out.app_uuid = target.app_uuid;
           out.commit = target.commit.value_or("");
           const std::vector<ReleaseReport> releases = status_detail::releases_of(target, input);
           const std::string commit = status_detail::target_commit(target);
           const auto release = ranges::find_if(releases, [&](const ReleaseReport& r) { return r.commit == commit; });
           if (release != releases.end()) {
             out.update_status = release->update_status;
             out.services = release->services | views::transform([&](ServiceReport service) {
                              service.release_id = target.release_id.value_or(service.release_id);
                              return service;
                            }) |
                            ranges::to<std::vector>();
           }
           return out;
         }) |
         ranges::to<std::vector>();
}

}  // namespace reconcile
