// JSON forms of the status projections (reconcile/status.hpp): the bodies
// of the local API's status answers and the cloud report's `apps` object.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "reconcile/status.hpp"

namespace reconcile {

// GET /v2/state/status: {"status": "success", "appState", "overallDownloadProgress",
// "containers", "images", "release"?}.
[[nodiscard]] nlohmann::json state_status_json(const DeviceStatus& status);

// GET /v1/device's state fields: update_pending, update_failed,
// update_downloaded, commit?, status, download_progress.
[[nodiscard]] nlohmann::json device_summary_json(const DeviceSummary& summary);

// GET /v2/applications/state: {<app name>: {appId, appUuid, commit,
// updateStatus, services: {<name>: {status, image, downloadProgress, releaseId}}}}.
[[nodiscard]] nlohmann::json applications_state_json(const std::vector<ApplicationState>& apps);

// The cloud report's `apps` (cloud-protocol.md §5.3): {<app uuid>:
// {release_uuid?, releases: {<commit>: {update_status, services?: {<name>:
// {image, status, download_progress?}}}}}}.
[[nodiscard]] nlohmann::json apps_report_json(const std::vector<AppReport>& apps);

}  // namespace reconcile
