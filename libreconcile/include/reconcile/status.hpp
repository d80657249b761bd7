// Projections of the device's state for the outside: the local API's status
// answers (/v2/state/status, /v2/applications/state, /v1/device) and the
// `apps` part of the cloud's current-state report (cloud-protocol.md §5.3).
// Pure functions of one StatusInput, shared by the daemon's API and its
// cloud reporter; JSON forms are in reconcile/status_json.hpp.
//
// Only the standard library appears here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcile/model.hpp"

namespace reconcile {

// The planner's status of a container from the engine's state ("running",
// "created", "exited", "dead", "paused", "restarting", "removing"). Total:
// a state the engine may add later reads as Exited (not running, not to be
// waited for), as the balena supervisor does.
[[nodiscard]] ServiceStatus status_from_engine_state(std::string_view state);

// What the apply loop tells of its work; the daemon's ApplyStatus carries
// the same facts.
struct ApplyProgress {
  bool has_target = false;       // a target was set: there is something to apply
  bool run_in_progress = false;  // a run (plan, batch, plan again, ...) is going on now
  bool last_plan_empty = false;  // the last run ended with an empty plan; false before the first
                                 // run, after a failed one and after an interrupted one
  int failures = 0;              // consecutive failed runs; back to 0 once a run settles
  std::string last_error;        // of the last failed run; for people, never for decisions
  std::map<std::string, int> download_progress;  // image name -> percent, pulls of the current run

  friend bool operator==(const ApplyProgress&, const ApplyProgress&) = default;
};

// Everything the projections read. Copies, so that the caller can take them
// under its locks and project outside them.
struct StatusInput {
  State current;
  std::vector<Image> images;  // image records whose image the engine holds (Context::available_images)
  std::optional<State> target;
  ApplyProgress progress;

  friend bool operator==(const StatusInput&, const StatusInput&) = default;
};

// `appState` of /v2/state/status.
enum class AppState {
  Applied,   // the last run ended with an empty plan, or there is no target
  Applying,  // steps remain: a run is going on, or waits to retry after a failure
};
[[nodiscard]] AppState app_state(const ApplyProgress& progress);

// The local-only update flags of /v1/device (local-api.md, GET /v1/device).
// All false once the target is reached.
struct UpdateFlags {
  bool pending = false;     // steps remain (AppState::Applying)
  bool failed = false;      // the last run failed and the loop backs off
  bool downloaded = false;  // pending, and an image of the update is on the device
  friend bool operator==(const UpdateFlags&, const UpdateFlags&) = default;
};
[[nodiscard]] UpdateFlags update_flags(const StatusInput& input);

// ---- /v2/state/status ----------------------------------------------------

struct ContainerStatus {
  ServiceStatus status = ServiceStatus::Running;
  std::string service_name;
  AppId app_id = 0;
  std::int64_t image_id = 0;
  std::int64_t service_id = 0;
  std::optional<std::string> container_id;
  Seconds created_at = 0;
  friend bool operator==(const ContainerStatus&, const ContainerStatus&) = default;
};

enum class ImageState { Downloading, Downloaded };

struct ImageStatus {
  std::string name;
  std::optional<Image> record;  // the supervisor's record, once the engine holds the image
  ImageState state = ImageState::Downloaded;
  std::optional<int> download_progress;  // percent, while downloading
  friend bool operator==(const ImageStatus&, const ImageStatus&) = default;
};

struct DeviceStatus {
  AppState app_state = AppState::Applied;
  std::optional<int> overall_download_progress;  // mean of the known download percentages
  std::vector<ContainerStatus> containers;       // every container, in snapshot order
  std::vector<ImageStatus> images;               // recorded images, then downloads
  std::optional<std::string> release;            // the first known current commit
  friend bool operator==(const DeviceStatus&, const DeviceStatus&) = default;
};
[[nodiscard]] DeviceStatus device_status(const StatusInput& input);

// ---- /v1/device ----------------------------------------------------------

// The state part of /v1/device; the daemon adds its own facts (port,
// versions, addresses).
struct DeviceSummary {
  UpdateFlags update;
  std::optional<std::string> commit;  // the first app's current commit, unless steps remain
  // The first service of the first app: its container's status, or
  // Downloading while its image downloads; none when there is neither.
  // Running and none are both shown as "Idle".
  std::optional<ServiceStatus> status;
  std::optional<int> download_progress;  // only while that service has no container
  friend bool operator==(const DeviceSummary&, const DeviceSummary&) = default;
};
[[nodiscard]] DeviceSummary device_summary(const StatusInput& input);

// ---- per app and service: the cloud report's `apps` and /v2/applications/state

// What one service entry shows: its container's state or, while it has no
// container, its image's (cloud-protocol.md §5.3).
enum class EntryStatus {
  Running,
  Installing,
  Installed,
  Stopping,
  Stopped,
  Exited,
  Dead,
  Paused,
  Restarting,
  Removing,
  HandingOver,
  AwaitingHandover,
  Downloading,
  Downloaded,
};
[[nodiscard]] EntryStatus entry_status(ServiceStatus status);

// A release's `update_status`; the first that applies, in this order.
enum class UpdateStatus {
  Rejected,         // the app's target release failed its contract (no services reported)
  Downloading,      // a service has a download progress other than 100
  Downloaded,       // a service's image is downloaded and it has no container yet
  ApplyingChanges,  // a service is Installing, Installed or AwaitingHandover
  Done,
};

struct ServiceReport {
  std::string service_name;
  std::string image;  // normalised: ":latest" added to a reference with neither tag nor digest
  EntryStatus status = EntryStatus::Running;
  std::optional<int> download_progress;
  std::int64_t release_id = 0;
  friend bool operator==(const ServiceReport&, const ServiceReport&) = default;
};

struct ReleaseReport {
  std::string commit;
  UpdateStatus update_status = UpdateStatus::Done;
  std::vector<ServiceReport> services;  // by service name
  friend bool operator==(const ReleaseReport&, const ReleaseReport&) = default;
};

struct AppReport {
  AppId app_id = 0;
  std::string app_uuid;
  std::optional<std::string> release_uuid;  // the commit the app last fully reached (current commit)
  std::vector<ReleaseReport> releases;      // by commit
  friend bool operator==(const AppReport&, const AppReport&) = default;
};

// One entry per target app, in target order: one release per commit found
// among its containers, its recorded and downloading images and its target
// services (those not downloaded yet show as Downloading at 0%). A container
// without an image reference is left out. No target, no apps.
[[nodiscard]] std::vector<AppReport> apps_report(const StatusInput& input);

// /v2/applications/state: per target app, its target release's entries.
struct ApplicationState {
  std::string name;  // the app's name, or its id when it has none (the JSON key)
  AppId app_id = 0;
  std::string app_uuid;
  std::string commit;  // the target commit, "" when unknown
  UpdateStatus update_status = UpdateStatus::Done;
  std::vector<ServiceReport> services;  // release_id: the app's target release id when known
  friend bool operator==(const ApplicationState&, const ApplicationState&) = default;
};
[[nodiscard]] std::vector<ApplicationState> applications_state(const StatusInput& input);

// An image reference as the cloud report shows it: ":latest" added when it
// has neither tag nor digest.
[[nodiscard]] std::string normalize_image_reference(std::string_view image);

// Names used in JSON.
[[nodiscard]] const char* to_string(AppState state);        // "applied", "applying"
[[nodiscard]] const char* to_string(ImageState state);      // "Downloading", "Downloaded"
[[nodiscard]] const char* to_string(EntryStatus status);    // "Running", "exited", "Handing over", ...
[[nodiscard]] const char* to_string(UpdateStatus status);   // "rejected", ..., "applying changes", "done"
// /v1/device's `status`: Running and none are "Idle".
[[nodiscard]] const char* summary_status_text(const std::optional<ServiceStatus>& status);

}  // namespace reconcile
