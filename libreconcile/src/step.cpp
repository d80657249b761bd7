#include "reconcile/step.hpp"

#include "reconcile/overloaded.hpp"

namespace reconcile {

// Every visitor below has one overload per step type and no catch-all: a
// new step type does not compile until each of them says what it means.

const char* action_name(const Step& step) {
  return std::visit(Overloaded{
                        [](const Fetch&) { return "fetch"; },
                        [](const Kill&) { return "kill"; },
                        [](const Stop&) { return "stop"; },
                        [](const Remove&) { return "remove"; },
                        [](const Start&) { return "start"; },
                        [](const UpdateMetadata&) { return "updateMetadata"; },
                        [](const Handover&) { return "handover"; },
                        [](const RemoveImage&) { return "removeImage"; },
                        [](const SaveImage&) { return "saveImage"; },
                        [](const CreateNetwork&) { return "createNetwork"; },
                        [](const CreateVolume&) { return "createVolume"; },
                        [](const RemoveNetwork&) { return "removeNetwork"; },
                        [](const RemoveVolume&) { return "removeVolume"; },
                        [](const TakeLock&) { return "takeLock"; },
                        [](const ReleaseLock&) { return "releaseLock"; },
                        [](const UpdateCommit&) { return "updateCommit"; },
                        [](const RequireReboot&) { return "requireReboot"; },
                        [](const EnsureSupervisorNetwork&) { return "ensureSupervisorNetwork"; },
                        [](const Noop&) { return "noop"; },
                    },
                    step);
}

const std::string& reason_of(const Step& step) {
  return std::visit(Overloaded{
                        [](const Fetch& s) -> const std::string& { return s.reason; },
                        [](const Kill& s) -> const std::string& { return s.reason; },
                        [](const Stop& s) -> const std::string& { return s.reason; },
                        [](const Remove& s) -> const std::string& { return s.reason; },
                        [](const Start& s) -> const std::string& { return s.reason; },
                        [](const UpdateMetadata& s) -> const std::string& { return s.reason; },
                        [](const Handover& s) -> const std::string& { return s.reason; },
                        [](const RemoveImage& s) -> const std::string& { return s.reason; },
                        [](const SaveImage& s) -> const std::string& { return s.reason; },
                        [](const CreateNetwork& s) -> const std::string& { return s.reason; },
                        [](const CreateVolume& s) -> const std::string& { return s.reason; },
                        [](const RemoveNetwork& s) -> const std::string& { return s.reason; },
                        [](const RemoveVolume& s) -> const std::string& { return s.reason; },
                        [](const TakeLock& s) -> const std::string& { return s.reason; },
                        [](const ReleaseLock& s) -> const std::string& { return s.reason; },
                        [](const UpdateCommit& s) -> const std::string& { return s.reason; },
                        [](const RequireReboot& s) -> const std::string& { return s.reason; },
                        [](const EnsureSupervisorNetwork& s) -> const std::string& { return s.reason; },
                        [](const Noop& s) -> const std::string& { return s.reason; },
                    },
                    step);
}

AppId app_of(const Step& step) {
  return std::visit(Overloaded{
                        [](const Fetch& s) { return s.image.app_id; },
                        [](const Kill& s) { return s.current.app_id; },
                        [](const Stop& s) { return s.current.app_id; },
                        [](const Remove& s) { return s.current.app_id; },
                        [](const Start& s) { return s.target.app_id; },
                        [](const UpdateMetadata& s) { return s.current.app_id; },
                        [](const Handover& s) { return s.current.app_id; },
                        [](const RemoveImage& s) { return s.image.app_id; },
                        [](const SaveImage& s) { return s.image.app_id; },
                        [](const CreateNetwork& s) { return s.target.app_id; },
                        [](const CreateVolume& s) { return s.target.app_id; },
                        [](const RemoveNetwork& s) { return s.current.app_id; },
                        [](const RemoveVolume& s) { return s.current.app_id; },
                        [](const TakeLock& s) { return s.app_id; },
                        [](const ReleaseLock& s) { return s.app_id; },
                        [](const UpdateCommit& s) { return s.app_id; },
                        [](const RequireReboot& s) { return s.app_id; },
                        [](const EnsureSupervisorNetwork&) -> AppId { return 0; },  // device-wide
                        [](const Noop&) -> AppId { return 0; },
                    },
                    step);
}

}  // namespace reconcile
