// The status projections (reconcile/status.hpp): every enumerator has its
// name, and each answer of the local API and the cloud report's `apps` reads
// as the references (local-api.md, cloud-protocol.md §5.3) say.
#include <catch2/catch.hpp>

#include "reconcile/json.hpp"
#include "reconcile/status.hpp"
#include "reconcile/status_json.hpp"

namespace {

using nlohmann::json;
using reconcile::AppState;
using reconcile::EntryStatus;
using reconcile::ServiceStatus;
using reconcile::UpdateStatus;

constexpr ServiceStatus kAllServiceStatuses[] = {
    ServiceStatus::Running,     ServiceStatus::Stopped,     ServiceStatus::Stopping,
    ServiceStatus::Exited,      ServiceStatus::Installing,  ServiceStatus::Installed,
    ServiceStatus::Dead,        ServiceStatus::HandingOver, ServiceStatus::AwaitingHandover,
    ServiceStatus::Downloading, ServiceStatus::Paused,      ServiceStatus::Restarting,
    ServiceStatus::Removing,
};

reconcile::Service service(const std::string& name, const std::string& commit, const std::string& image) {
  reconcile::Service s;
  s.service_name = name;
  s.app_id = 7;
  s.app_uuid = "uuid7";
  s.commit = commit;
  s.image = image;
  s.release_id = commit == "new" ? 2 : 1;
  return s;
}

reconcile::Service container(const std::string& name, const std::string& commit, const std::string& image,
                             ServiceStatus status = ServiceStatus::Running) {
  reconcile::Service s = service(name, commit, image);
  s.status = status;
  s.running = status == ServiceStatus::Running;
  s.container_id = "c-" + name + "-" + commit;
  s.created_at = 1'552'320'334;  // 2019-03-11T16:05:34Z
  return s;
}

reconcile::Image record(const std::string& name, const std::string& commit, const std::string& image) {
  reconcile::Image r;
  r.name = image;
  r.app_id = 7;
  r.app_uuid = "uuid7";
  r.service_name = name;
  r.commit = commit;
  r.release_id = commit == "new" ? 2 : 1;
  return r;
}

reconcile::App app(std::optional<std::string> commit, std::vector<reconcile::Service> services) {
  reconcile::App a;
  a.app_id = 7;
  a.app_uuid = "uuid7";
  a.name = "fleet";
  a.commit = std::move(commit);
  a.release_id = a.commit == "new" ? 2 : 1;
  a.services = std::move(services);
  return a;
}

reconcile::ApplyProgress settled() {
  reconcile::ApplyProgress p;
  p.has_target = true;
  p.last_plan_empty = true;
  return p;
}

reconcile::ApplyProgress failing() {
  reconcile::ApplyProgress p;
  p.has_target = true;
  p.failures = 2;
  p.last_error = "pulling web:2: connection refused";
  return p;
}

// A device running release "old" of app 7 (web, db), updating to "new":
// web's new image downloads (40%), db's new image is on the device.
reconcile::StatusInput updating() {
  reconcile::StatusInput in;
  in.current.apps = {app("old", {container("web", "old", "web:1"), container("db", "old", "db:1")})};
  in.images = {record("web", "old", "web:1"), record("db", "old", "db:1"), record("db", "new", "db:2")};
  in.target = reconcile::State{{app("new", {service("web", "new", "web:2"), service("db", "new", "db:2")})}};
  in.progress.has_target = true;
  in.progress.run_in_progress = true;
  in.progress.download_progress = {{"web:2", 40}};
  return in;
}

}  // namespace

TEST_CASE("engine states map onto the planner's statuses, unknown ones as exited") {
  CHECK(reconcile::status_from_engine_state("running") == ServiceStatus::Running);
  CHECK(reconcile::status_from_engine_state("created") == ServiceStatus::Installed);
  CHECK(reconcile::status_from_engine_state("exited") == ServiceStatus::Exited);
  CHECK(reconcile::status_from_engine_state("dead") == ServiceStatus::Dead);
  CHECK(reconcile::status_from_engine_state("paused") == ServiceStatus::Paused);
  CHECK(reconcile::status_from_engine_state("restarting") == ServiceStatus::Restarting);
  CHECK(reconcile::status_from_engine_state("removing") == ServiceStatus::Removing);
  CHECK(reconcile::status_from_engine_state("") == ServiceStatus::Exited);
  CHECK(reconcile::status_from_engine_state("Running") == ServiceStatus::Exited);  // the engine's spelling only
}

TEST_CASE("every container status keeps its name as a report entry") {
  for (const ServiceStatus status : kAllServiceStatuses) {
    INFO(reconcile::to_string(status));
    CHECK(std::string(reconcile::to_string(reconcile::entry_status(status))) == reconcile::to_string(status));
  }
  CHECK(std::string(reconcile::to_string(EntryStatus::Downloaded)) == "Downloaded");
}

TEST_CASE("every status enumerator has its JSON name") {
  CHECK(std::string(reconcile::to_string(AppState::Applied)) == "applied");
  CHECK(std::string(reconcile::to_string(AppState::Applying)) == "applying");
  CHECK(std::string(reconcile::to_string(reconcile::ImageState::Downloading)) == "Downloading");
  CHECK(std::string(reconcile::to_string(reconcile::ImageState::Downloaded)) == "Downloaded");
  CHECK(std::string(reconcile::to_string(UpdateStatus::Rejected)) == "rejected");
  CHECK(std::string(reconcile::to_string(UpdateStatus::Downloading)) == "downloading");
  CHECK(std::string(reconcile::to_string(UpdateStatus::Downloaded)) == "downloaded");
  CHECK(std::string(reconcile::to_string(UpdateStatus::ApplyingChanges)) == "applying changes");
  CHECK(std::string(reconcile::to_string(UpdateStatus::Done)) == "done");
  CHECK(std::string(reconcile::summary_status_text(std::nullopt)) == "Idle");
  CHECK(std::string(reconcile::summary_status_text(ServiceStatus::Running)) == "Idle");
  CHECK(std::string(reconcile::summary_status_text(ServiceStatus::Installed)) == "Installed");
}

TEST_CASE("appState is applying while steps remain, applied only after an empty plan") {
  reconcile::ApplyProgress p;
  CHECK(reconcile::app_state(p) == AppState::Applied);  // no target: nothing to apply
  p.has_target = true;
  CHECK(reconcile::app_state(p) == AppState::Applying);  // set, not applied yet
  p.run_in_progress = true;
  CHECK(reconcile::app_state(p) == AppState::Applying);
  CHECK(reconcile::app_state(settled()) == AppState::Applied);
  p = settled();
  p.run_in_progress = true;  // a re-check run after settling
  CHECK(reconcile::app_state(p) == AppState::Applying);
}

TEST_CASE("a device backing off after a failed apply is applying, not applied") {
  reconcile::StatusInput in = updating();
  in.progress = failing();
  CHECK(reconcile::app_state(in.progress) == AppState::Applying);
  const json body = reconcile::state_status_json(reconcile::device_status(in));
  CHECK(body["appState"] == "applying");
  const json device = reconcile::device_summary_json(reconcile::device_summary(in));
  CHECK(device["update_pending"] == true);
  CHECK(device["update_failed"] == true);
  CHECK_FALSE(device.contains("commit"));  // only when nothing is left to apply
}

TEST_CASE("update flags: pending while steps remain, downloaded once an image of the update is there") {
  reconcile::StatusInput in = updating();
  CHECK(reconcile::update_flags(in) == reconcile::UpdateFlags{true, false, true});  // db:2 is on the device
  in.images.pop_back();
  CHECK(reconcile::update_flags(in) == reconcile::UpdateFlags{true, false, false});
  in.progress.download_progress["web:2"] = 100;
  CHECK(reconcile::update_flags(in) == reconcile::UpdateFlags{true, false, true});
  // An image of an app that already runs its target release is not one of the update.
  in.current.apps[0].commit = "new";
  CHECK(reconcile::update_flags(in) == reconcile::UpdateFlags{true, false, false});
  in.progress = settled();
  CHECK(reconcile::update_flags(in) == reconcile::UpdateFlags{false, false, false});
}

TEST_CASE("/v2/state/status lists every container, recorded image and download") {
  const reconcile::StatusInput in = updating();
  const json body = reconcile::state_status_json(reconcile::device_status(in));
  CHECK(body["status"] == "success");
  CHECK(body["appState"] == "applying");
  CHECK(body["overallDownloadProgress"] == 40);
  CHECK(body["release"] == "old");
  REQUIRE(body["containers"].size() == 2);
  CHECK(body["containers"][0] == json{{"status", "Running"},
                                      {"serviceName", "web"},
                                      {"appId", 7},
                                      {"imageId", 1},
                                      {"serviceId", 1},
                                      {"containerId", "c-web-old"},
                                      {"createdAt", reconcile::format_time(1'552'320'334)}});
  REQUIRE(body["images"].size() == 4);
  json recorded = reconcile::to_json(in.images[0]);
  recorded["status"] = "Downloaded";
  recorded["downloadProgress"] = nullptr;
  CHECK(body["images"][0] == recorded);
  CHECK(body["images"][3] == json{{"name", "web:2"}, {"status", "Downloading"}, {"downloadProgress", 40}});
}

TEST_CASE("/v2/state/status of an idle device without downloads") {
  reconcile::StatusInput in;
  in.progress = settled();
  const json body = reconcile::state_status_json(reconcile::device_status(in));
  CHECK(body == json{{"status", "success"},
                     {"appState", "applied"},
                     {"overallDownloadProgress", nullptr},
                     {"containers", json::array()},
                     {"images", json::array()}});
}

TEST_CASE("the overall download progress is the mean of the known ones") {
  reconcile::StatusInput in = updating();
  in.progress.download_progress = {{"a", 10}, {"b", 45}};
  CHECK(reconcile::device_status(in).overall_download_progress == 27);
}

TEST_CASE("/v1/device shows the first service, Running as Idle, and the commit once applied") {
  reconcile::StatusInput in = updating();
  in.progress = settled();
  in.current.apps[0].services[0].status = ServiceStatus::Running;
  CHECK(reconcile::device_summary_json(reconcile::device_summary(in)) == json{{"update_pending", false},
                                                                              {"update_failed", false},
                                                                              {"update_downloaded", false},
                                                                              {"status", "Idle"},
                                                                              {"download_progress", nullptr},
                                                                              {"commit", "old"}});
  in.current.apps[0].services[0].status = ServiceStatus::Installed;
  CHECK(reconcile::device_summary_json(reconcile::device_summary(in))["status"] == "Installed");
}

TEST_CASE("/v1/device shows the download of the first service while it has no container") {
  reconcile::StatusInput in = updating();
  in.current.apps.clear();
  const reconcile::DeviceSummary summary = reconcile::device_summary(in);
  CHECK(summary.status == ServiceStatus::Downloading);
  CHECK(summary.download_progress == 40);
  in.current = updating().current;  // a container exists: no progress
  CHECK(reconcile::device_summary(in).download_progress == std::nullopt);
}

TEST_CASE("the cloud report shows both releases during an update") {
  const json apps = reconcile::apps_report_json(reconcile::apps_report(updating()));
  CHECK(apps["uuid7"]["releases"]["new"] ==
        json{{"update_status", "downloading"},
             {"services",
              {{"db", {{"image", "db:2"}, {"status", "Downloaded"}}},
               {"web", {{"image", "web:2"}, {"status", "Downloading"}, {"download_progress", 40}}}}}});
  CHECK(apps["uuid7"]["release_uuid"] == "old");
  CHECK(apps["uuid7"]["releases"]["old"]["update_status"] == "done");
  CHECK(apps["uuid7"]["releases"]["old"]["services"] ==
        json{{"db", {{"image", "db:1"}, {"status", "Running"}}}, {"web", {{"image", "web:1"}, {"status", "Running"}}}});
}

TEST_CASE("image references get :latest only without tag or digest") {
  CHECK(reconcile::normalize_image_reference("web") == "web:latest");
  CHECK(reconcile::normalize_image_reference("registry:5000/web") == "registry:5000/web:latest");
  CHECK(reconcile::normalize_image_reference("registry:5000/web:2") == "registry:5000/web:2");
  CHECK(reconcile::normalize_image_reference("registry2.balena-cloud.com/v2/abc@sha256:aa") ==
        "registry2.balena-cloud.com/v2/abc@sha256:aa");
}

TEST_CASE("a release's update_status: the first that applies of downloading, downloaded, applying changes, done") {
  reconcile::StatusInput in;
  in.target = reconcile::State{{app("new", {service("web", "new", "web:2"), service("db", "new", "db:2")})}};
  const auto status_of_new = [&] {
    const auto apps = reconcile::apps_report(in);
    REQUIRE(apps.size() == 1);
    for (const auto& release : apps[0].releases) {
      if (release.commit == "new") return release.update_status;
    }
    FAIL("no release new");
    return UpdateStatus::Done;
  };
  // Nothing on the device: the target services show as downloads at 0%.
  CHECK(status_of_new() == UpdateStatus::Downloading);
  CHECK(reconcile::apps_report(in)[0].releases[0].services[0].download_progress == 0);
  CHECK_FALSE(reconcile::apps_report(in)[0].release_uuid.has_value());
  in.images = {record("web", "new", "web:2"), record("db", "new", "db:2")};
  CHECK(status_of_new() == UpdateStatus::Downloaded);
  in.current.apps = {app("old", {container("web", "new", "web:2", ServiceStatus::Installed),
                                 container("db", "new", "db:2")})};
  CHECK(status_of_new() == UpdateStatus::ApplyingChanges);
  in.current.apps[0].services[0].status = ServiceStatus::AwaitingHandover;
  CHECK(status_of_new() == UpdateStatus::ApplyingChanges);
  in.current.apps[0].services[0].status = ServiceStatus::Running;
  CHECK(status_of_new() == UpdateStatus::Done);
  in.progress.download_progress = {{"web:2", 100}};  // a finished pull does not hold it back
  CHECK(status_of_new() == UpdateStatus::Done);
  in.target->apps[0].is_rejected = true;
  in.current.apps.clear();
  CHECK(status_of_new() == UpdateStatus::Rejected);
  CHECK(reconcile::apps_report_json(reconcile::apps_report(in))["uuid7"]["releases"]["new"] ==
        json{{"update_status", "rejected"}});
}

TEST_CASE("the report leaves out apps not in the target and containers without an image") {
  reconcile::StatusInput in = updating();
  reconcile::App other = app("x", {container("other", "x", "other:1")});
  other.app_id = 8;
  other.app_uuid = "uuid8";
  in.current.apps.push_back(other);
  in.current.apps[0].services[1].image.clear();
  const auto apps = reconcile::apps_report(in);
  REQUIRE(apps.size() == 1);
  CHECK(apps[0].app_uuid == "uuid7");
  const json old_release = reconcile::apps_report_json(apps)["uuid7"]["releases"]["old"];
  // db's container has no image, but its image record of "old" is reported.
  CHECK(old_release["services"]["db"] == json{{"image", "db:1"}, {"status", "Downloaded"}});
  in.target.reset();
  CHECK(reconcile::apps_report(in).empty());
  CHECK(reconcile::applications_state(in).empty());
}

TEST_CASE("/v2/applications/state shows the target release by app name") {
  reconcile::StatusInput in = updating();
  const json body = reconcile::applications_state_json(reconcile::applications_state(in));
  CHECK(body == json{{"fleet",
                      {{"appId", 7},
                       {"appUuid", "uuid7"},
                       {"commit", "new"},
                       {"updateStatus", "downloading"},
                       {"services",
                        {{"db", {{"status", "Downloaded"}, {"image", "db:2"}, {"downloadProgress", nullptr},
                                 {"releaseId", 2}}},
                         {"web", {{"status", "Downloading"}, {"image", "web:2"}, {"downloadProgress", 40},
                                  {"releaseId", 2}}}}}}}});
  in.target->apps[0].name.clear();
  in.target->apps[0].release_id.reset();
  in.target->apps[0].services[0].release_id = 9;
  const json unnamed = reconcile::applications_state_json(reconcile::applications_state(in));
  REQUIRE(unnamed.contains("7"));
  CHECK(unnamed["7"]["services"]["web"]["releaseId"] == 9);
}
