// The status projections (reconcile/status.hpp) are total: any device, any
// target (or none) and any apply progress give a well-formed answer, which
// the JSON writers accept.
#include "catch_prop.hpp"

#include <algorithm>
#include <set>

#include "reconcile/status.hpp"
#include "reconcile/status_json.hpp"
#include "reconcile/testing/scenario.hpp"

namespace {

using reconcile::StatusInput;

// Pulls of target images (and of one image no service uses) at any stage.
rc::Gen<reconcile::ApplyProgress> gen_progress(const std::optional<reconcile::State>& target) {
  std::vector<std::string> images = {"unrelated:1"};
  if (target) {
    for (const auto& app : target->apps) {
      for (const auto& service : app.services) images.push_back(service.image);
    }
  }
  return rc::gen::exec([images] {
    reconcile::ApplyProgress progress;
    progress.has_target = *rc::gen::arbitrary<bool>();
    progress.run_in_progress = *rc::gen::arbitrary<bool>();
    progress.last_plan_empty = *rc::gen::arbitrary<bool>();
    progress.failures = *rc::gen::inRange(0, 4);
    if (progress.failures > 0) progress.last_error = "it failed";
    for (const std::string& image : images) {
      if (*rc::gen::arbitrary<bool>()) progress.download_progress[image] = *rc::gen::inRange(0, 101);
    }
    return progress;
  });
}

StatusInput gen_input() {
  const auto scenario = *reconcile::testing::gen_scenario();
  StatusInput in;
  in.current = scenario.current;
  in.images = scenario.context.available_images;
  if (*rc::gen::arbitrary<bool>()) in.target = scenario.target;
  in.progress = *gen_progress(in.target);
  return in;
}

std::size_t container_count(const reconcile::State& state) {
  std::size_t count = 0;
  for (const auto& app : state.apps) count += app.services.size();
  return count;
}

void check_release(const reconcile::ReleaseReport& release) {
  std::set<std::string> names;
  bool downloading = false;
  bool downloaded = false;
  bool applying = false;
  for (const auto& service : release.services) {
    RC_ASSERT(names.insert(service.service_name).second);  // one entry per service
    RC_ASSERT(!service.image.empty());
    if (service.download_progress) {
      RC_ASSERT(*service.download_progress >= 0);
      RC_ASSERT(*service.download_progress <= 100);
      downloading = downloading || *service.download_progress != 100;
    }
    downloaded = downloaded || service.status == reconcile::EntryStatus::Downloaded;
    applying = applying || service.status == reconcile::EntryStatus::Installing ||
               service.status == reconcile::EntryStatus::Installed ||
               service.status == reconcile::EntryStatus::AwaitingHandover;
  }
  RC_ASSERT(std::is_sorted(release.services.begin(), release.services.end(),
                           [](const auto& a, const auto& b) { return a.service_name < b.service_name; }));
  if (release.update_status == reconcile::UpdateStatus::Rejected) {
    RC_ASSERT(release.services.empty());
    return;
  }
  const auto expected = downloading  ? reconcile::UpdateStatus::Downloading
                        : downloaded ? reconcile::UpdateStatus::Downloaded
                        : applying   ? reconcile::UpdateStatus::ApplyingChanges
                                     : reconcile::UpdateStatus::Done;
  RC_ASSERT(release.update_status == expected);
}

}  // namespace

TEST_CASE("status projections are total: any device, target and progress give a well-formed answer", "[property]") {
  property_tests::catch_prop("status projections are total", [] {
    const StatusInput in = gen_input();
    const auto& downloads = in.progress.download_progress;

    const reconcile::DeviceStatus status = reconcile::device_status(in);
    RC_ASSERT(status.app_state == reconcile::app_state(in.progress));
    RC_ASSERT(status.containers.size() == container_count(in.current));
    RC_ASSERT(status.images.size() == in.images.size() + downloads.size());
    RC_ASSERT(status.overall_download_progress.has_value() == !downloads.empty());
    if (status.overall_download_progress) {
      RC_ASSERT(*status.overall_download_progress >= 0);
      RC_ASSERT(*status.overall_download_progress <= 100);
    }
    const auto body = reconcile::state_status_json(status);
    RC_ASSERT(body["appState"] == reconcile::to_string(status.app_state));
    RC_ASSERT(body["containers"].size() == status.containers.size());

    const reconcile::UpdateFlags flags = reconcile::update_flags(in);
    RC_ASSERT(flags.pending == (status.app_state == reconcile::AppState::Applying));
    if (!flags.pending) RC_ASSERT(!flags.downloaded);
    if (!in.target) RC_ASSERT(!flags.downloaded);

    const reconcile::DeviceSummary summary = reconcile::device_summary(in);
    RC_ASSERT(summary.update == flags);
    if (flags.pending) RC_ASSERT(!summary.commit.has_value());
    if (summary.download_progress) RC_ASSERT(summary.status == reconcile::ServiceStatus::Downloading);
    RC_ASSERT(reconcile::device_summary_json(summary).is_object());

    const auto apps = reconcile::apps_report(in);
    const auto states = reconcile::applications_state(in);
    const std::size_t target_apps = in.target ? in.target->apps.size() : 0;
    RC_ASSERT(apps.size() == target_apps);
    RC_ASSERT(states.size() == target_apps);
    for (std::size_t i = 0; i < apps.size(); ++i) {
      const reconcile::App& target = in.target->apps[i];
      RC_ASSERT(apps[i].app_uuid == target.app_uuid);
      RC_ASSERT(states[i].app_id == target.app_id);
      RC_ASSERT(!states[i].name.empty());
      RC_ASSERT(std::is_sorted(apps[i].releases.begin(), apps[i].releases.end(),
                               [](const auto& a, const auto& b) { return a.commit < b.commit; }));
      for (const auto& release : apps[i].releases) check_release(release);
      // Every target service of an accepted app has an entry in its release.
      if (!target.is_rejected) {
        for (const auto& service : target.services) {
          const auto release = std::find_if(apps[i].releases.begin(), apps[i].releases.end(),
                                            [&](const auto& r) { return r.commit == service.commit; });
          RC_ASSERT(release != apps[i].releases.end());
          RC_ASSERT(std::any_of(release->services.begin(), release->services.end(),
                                [&](const auto& s) { return s.service_name == service.service_name; }));
        }
      }
    }
    RC_ASSERT(reconcile::apps_report_json(apps).size() <= target_apps);
    RC_ASSERT(reconcile::applications_state_json(states).size() <= target_apps);
  });
}
