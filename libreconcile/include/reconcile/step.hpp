// Steps: the closed set of actions the planner can ask for. Each names the
// resource it acts on and carries a `reason`, which is for people (logs,
// `supervisor plan --explain`) and must never drive behaviour.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "reconcile/model.hpp"

namespace reconcile {

struct Fetch {  // download the image of a target service
  Image image;
  std::string service_name;
  std::string reason;
  friend bool operator==(const Fetch&, const Fetch&) = default;
};
struct Kill {  // stop and remove a container
  Service current;
  std::string reason;
  friend bool operator==(const Kill&, const Kill&) = default;
};
struct Stop {  // stop a container and keep it
  Service current;
  std::string reason;
  friend bool operator==(const Stop&, const Stop&) = default;
};
struct Remove {  // remove a dead container
  Service current;
  std::string reason;
  friend bool operator==(const Remove&, const Remove&) = default;
};
// Start the target service. Without `target.container_id` the executor
// creates the container from `target`, then starts it (unless the service
// is running:false or waits for a reboot). With it, the planner has found a
// container of this service that is to be started, not recreated (created
// but never started, or exited on the userland proxy error; same release and
// configuration), and the executor starts that container: it creates none.
struct Start {
  Service target;
  std::string reason;
  friend bool operator==(const Start&, const Start&) = default;
};
struct UpdateMetadata {  // rename the container to the target release
  Service current;
  Service target;
  std::string reason;
  friend bool operator==(const UpdateMetadata&, const UpdateMetadata&) = default;
};
struct Handover {  // start the target beside the current, then kill the current
  Service current;
  Service target;
  std::string reason;
  friend bool operator==(const Handover&, const Handover&) = default;
};
// What removeImage does with the engine's image once the record is gone:
// Keep when another record (another release's) still uses the same image.
enum class EngineCopy { Delete, Keep };

struct RemoveImage {  // delete the image record, and the engine's image unless kept
  Image image;
  EngineCopy engine_copy = EngineCopy::Delete;
  std::string reason;
  friend bool operator==(const RemoveImage&, const RemoveImage&) = default;
};
struct SaveImage {  // record an image the engine already has
  Image image;
  std::string reason;
  friend bool operator==(const SaveImage&, const SaveImage&) = default;
};
struct CreateNetwork {
  Network target;
  std::string reason;
  friend bool operator==(const CreateNetwork&, const CreateNetwork&) = default;
};
struct CreateVolume {
  Volume target;
  std::string reason;
  friend bool operator==(const CreateVolume&, const CreateVolume&) = default;
};
struct RemoveNetwork {  // removes every engine network of that name and app
  Network current;
  std::string reason;
  friend bool operator==(const RemoveNetwork&, const RemoveNetwork&) = default;
};
struct RemoveVolume {
  Volume current;
  std::string reason;
  friend bool operator==(const RemoveVolume&, const RemoveVolume&) = default;
};
struct TakeLock {
  AppId app_id = 0;
  std::vector<std::string> services;
  bool force = false;
  std::string reason;
  friend bool operator==(const TakeLock&, const TakeLock&) = default;
};
struct ReleaseLock {
  AppId app_id = 0;
  std::string reason;
  friend bool operator==(const ReleaseLock&, const ReleaseLock&) = default;
};
struct UpdateCommit {
  AppId app_id = 0;
  std::string commit;
  std::string reason;
  friend bool operator==(const UpdateCommit&, const UpdateCommit&) = default;
};
struct RequireReboot {
  AppId app_id = 0;
  std::string service_name;
  std::string reason;
  friend bool operator==(const RequireReboot&, const RequireReboot&) = default;
};
// Create the supervisor's own bridge (supervisor0: the network services that
// use the supervisor API reach it on), removing a wrong one of that name first.
struct EnsureSupervisorNetwork {
  std::string reason;
  friend bool operator==(const EnsureSupervisorNetwork&, const EnsureSupervisorNetwork&) = default;
};
struct Noop {  // nothing to do yet, but the loop must keep going
  std::string reason;
  friend bool operator==(const Noop&, const Noop&) = default;
};

using Step = std::variant<Fetch, Kill, Stop, Remove, Start, UpdateMetadata, Handover,
                          RemoveImage, SaveImage, CreateNetwork, CreateVolume, RemoveNetwork,
                          RemoveVolume, TakeLock, ReleaseLock, UpdateCommit, RequireReboot,
                          EnsureSupervisorNetwork, Noop>;

// The step's action name as in JSON ("fetch", "kill", "updateMetadata", ...).
[[nodiscard]] const char* action_name(const Step& step);
[[nodiscard]] const std::string& reason_of(const Step& step);
// The app the step acts on, or 0 for device-wide steps (noop, cleanup).
[[nodiscard]] AppId app_of(const Step& step);

}  // namespace reconcile
