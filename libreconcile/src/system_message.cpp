#include "reconcile/system_message.hpp"

#include <fmt/format.h>

#include "reconcile/overloaded.hpp"

namespace reconcile {
namespace {

// The texts of one kind of step, per phase (balena's logTypes); empty: not
// announced at that phase.
struct Texts {
  const char* started;
  const char* done;
  const char* failed;
};

constexpr Texts kKill{"Killing service", "Killed service", "Failed to kill service"};
constexpr Texts kStop{"Stopping service", "Stopped service", "Failed to stop service"};
constexpr Texts kRemoveDead{"Removing dead service", "Removed dead service", "Error removing dead service"};
constexpr Texts kInstall{"Installing service", "Started service", "Failed to install service"};
constexpr Texts kStart{"Starting service", "Started service", "Failed to start service"};
constexpr Texts kDownload{"Downloading image", "Downloaded image", "Failed to download image"};
constexpr Texts kDeleteImage{"Deleting image", "Deleted image", "Failed to delete image"};
constexpr Texts kCreateNetwork{"Creating network", "", "Error creating network"};
constexpr Texts kRemoveNetwork{"Removing network", "", "Error removing network"};
constexpr Texts kCreateVolume{"Creating volume", "", "Error creating volume"};
constexpr Texts kRemoveVolume{"Removing volume", "", "Error removing volume"};
constexpr Texts kTakeLock{"", "", "Updates are locked"};

struct Announced {
  const Texts* texts = nullptr;  // null: not announced
  std::string object;
};

std::string service_object(const Service& service) { return fmt::format("{} {}", service.service_name, service.image); }

Announced announced(const Step& step) {
  return std::visit(
      Overloaded{
          [](const Fetch& s) { return Announced{&kDownload, s.image.name}; },
          [](const Kill& s) { return Announced{&kKill, service_object(s.current)}; },
          [](const Stop& s) { return Announced{&kStop, service_object(s.current)}; },
          [](const Remove& s) { return Announced{&kRemoveDead, service_object(s.current)}; },
          // Without a container the executor creates one first.
          [](const Start& s) {
            return Announced{s.target.container_id ? &kStart : &kInstall, service_object(s.target)};
          },
          // The new container starts beside the old one, which is then killed.
          [](const Handover& s) { return Announced{&kInstall, service_object(s.target)}; },
          [](const RemoveImage& s) { return Announced{&kDeleteImage, s.image.name}; },
          [](const CreateNetwork& s) { return Announced{&kCreateNetwork, s.target.name}; },
          [](const RemoveNetwork& s) { return Announced{&kRemoveNetwork, s.current.name}; },
          [](const CreateVolume& s) { return Announced{&kCreateVolume, s.target.name}; },
          [](const RemoveVolume& s) { return Announced{&kRemoveVolume, s.current.name}; },
          [](const TakeLock&) { return Announced{&kTakeLock, std::string()}; },
          // A rename to the new release, records and bookkeeping: balena
          // logs none of them.
          [](const UpdateMetadata&) { return Announced{}; },
          [](const SaveImage&) { return Announced{}; },
          [](const ReleaseLock&) { return Announced{}; },
          [](const UpdateCommit&) { return Announced{}; },
          [](const RequireReboot&) { return Announced{}; },
          [](const EnsureSupervisorNetwork&) { return Announced{}; },
          [](const Noop&) { return Announced{}; },
      },
      step);
}

}  // namespace

std::optional<std::string> system_message(const Step& step, StepPhase phase, std::string_view error) {
  const Announced what = announced(step);
  if (what.texts == nullptr) return std::nullopt;
  const char* text = phase == StepPhase::Started ? what.texts->started
                     : phase == StepPhase::Done  ? what.texts->done
                                                 : what.texts->failed;
  if (*text == '\0') return std::nullopt;
  std::string line = what.object.empty() ? std::string(text) : fmt::format("{} '{}'", text, what.object);
  if (phase == StepPhase::Failed && !error.empty()) line += fmt::format(" due to '{}'", error);
  return line;
}

}  // namespace reconcile
