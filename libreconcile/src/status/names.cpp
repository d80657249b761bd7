// The closed vocabularies of the status projections: engine states in,
// JSON names out. Every mapping is a switch without default, so a new
// enumerator does not compile until it has a name.
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "reconcile/status.hpp"

namespace reconcile {

ServiceStatus status_from_engine_state(std::string_view state) {
  if (state == "running") return ServiceStatus::Running;
  if (state == "created") return ServiceStatus::Installed;
  if (state == "dead") return ServiceStatus::Dead;
  if (state == "paused") return ServiceStatus::Paused;
  if (state == "restarting") return ServiceStatus::Restarting;
  if (state == "removing") return ServiceStatus::Removing;
  return ServiceStatus::Exited;  // "exited", and any state the engine may add
}

EntryStatus entry_status(ServiceStatus status) {
  switch (status) {
    case ServiceStatus::Running: return EntryStatus::Running;
    case ServiceStatus::Stopped: return EntryStatus::Stopped;
    case ServiceStatus::Stopping: return EntryStatus::Stopping;
    case ServiceStatus::Exited: return EntryStatus::Exited;
    case ServiceStatus::Installing: return EntryStatus::Installing;
    case ServiceStatus::Installed: return EntryStatus::Installed;
    case ServiceStatus::Dead: return EntryStatus::Dead;
    case ServiceStatus::HandingOver: return EntryStatus::HandingOver;
    case ServiceStatus::AwaitingHandover: return EntryStatus::AwaitingHandover;
    case ServiceStatus::Downloading: return EntryStatus::Downloading;
    case ServiceStatus::Paused: return EntryStatus::Paused;
    case ServiceStatus::Restarting: return EntryStatus::Restarting;
    case ServiceStatus::Removing: return EntryStatus::Removing;
  }
  return EntryStatus::Exited;  // not reached: the switch is total
}

std::string normalize_image_reference(std::string_view image) {
  if (image.find('@') != std::string_view::npos) return std::string(image);  // a digest
  const auto slash = image.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? image : image.substr(slash + 1);
  if (last.find(':') != std::string_view::npos) return std::string(image);  // a tag (a ':' before the
                                                                             // last '/' is a port)
  return fmt::format("{}:latest", image);
}

const char* to_string(AppState state) {
  switch (state) {
    case AppState::Applied: return "applied";
    case AppState::Applying: return "applying";
  }
  return "applying";
}

const char* to_string(ImageState state) {
  switch (state) {
    case ImageState::Downloading: return "Downloading";
    case ImageState::Downloaded: return "Downloaded";
  }
  return "Downloading";
}

// The container states keep the names of reconcile::to_string(ServiceStatus).
const char* to_string(EntryStatus status) {
  switch (status) {
    case EntryStatus::Running: return "Running";
    case EntryStatus::Installing: return "Installing";
    case EntryStatus::Installed: return "Installed";
    case EntryStatus::Stopping: return "Stopping";
    case EntryStatus::Stopped: return "Stopped";
    case EntryStatus::Exited: return "exited";
    case EntryStatus::Dead: return "Dead";
    case EntryStatus::Paused: return "paused";
    case EntryStatus::Restarting: return "restarting";
    case EntryStatus::Removing: return "removing";
    case EntryStatus::HandingOver: return "Handing over";
    case EntryStatus::AwaitingHandover: return "Awaiting handover";
    case EntryStatus::Downloading: return "Downloading";
    case EntryStatus::Downloaded: return "Downloaded";
  }
  return "exited";
}

const char* to_string(UpdateStatus status) {
  switch (status) {
    case UpdateStatus::Rejected: return "rejected";
    case UpdateStatus::Downloading: return "downloading";
    case UpdateStatus::Downloaded: return "downloaded";
    case UpdateStatus::ApplyingChanges: return "applying changes";
    case UpdateStatus::Done: return "done";
  }
  return "done";
}

const char* summary_status_text(const std::optional<ServiceStatus>& status) {
  if (!status || *status == ServiceStatus::Running) return "Idle";
  return to_string(*status);
}

}  // namespace reconcile
