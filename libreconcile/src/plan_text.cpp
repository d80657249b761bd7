#include "reconcile/plan_text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "reconcile/overloaded.hpp"

namespace reconcile {
namespace {

std::string service_text(const Service& service) {
  std::string out = "app " + std::to_string(service.app_id) + " service " + service.service_name +
                    " (" + service.image + ", commit " + service.commit;
  if (service.container_id) out += ", container " + service.container_id->substr(0, 12);
  return out + ")";
}

std::string image_text(const Image& image) {
  return image.name + " (app " + std::to_string(image.app_id) + " service " + image.service_name +
         ", commit " + image.commit + ")";
}

// A step that moves a container to the target's release.
std::string renaming_text(const Service& current, const Service& target) {
  return fmt::format("{} -> commit {}", service_text(current), target.commit);
}

}  // namespace

std::string describe(const Step& step) {
  std::string out = action_name(step);
  out += ' ';
  out += std::visit(
      Overloaded{
          [](const Fetch& s) { return image_text(s.image); },
          [](const Kill& s) { return service_text(s.current); },
          [](const Stop& s) { return service_text(s.current); },
          [](const Remove& s) { return service_text(s.current); },
          [](const Start& s) { return service_text(s.target); },
          [](const UpdateMetadata& s) { return renaming_text(s.current, s.target); },
          [](const Handover& s) { return renaming_text(s.current, s.target); },
          [](const RemoveImage& s) {
            return s.engine_copy == EngineCopy::Keep ? fmt::format("{}, engine copy kept", image_text(s.image))
                                                     : image_text(s.image);
          },
          [](const SaveImage& s) { return image_text(s.image); },
          [](const CreateNetwork& s) { return fmt::format("app {} {}", s.target.app_id, s.target.name); },
          [](const CreateVolume& s) { return fmt::format("app {} {}", s.target.app_id, s.target.name); },
          [](const RemoveNetwork& s) { return fmt::format("app {} {}", s.current.app_id, s.current.name); },
          [](const RemoveVolume& s) { return fmt::format("app {} {}", s.current.app_id, s.current.name); },
          [](const TakeLock& s) {
            return fmt::format("app {} services{}{}", s.app_id,
                               s.services.empty() ? std::string() : fmt::format(" {}", fmt::join(s.services, " ")),
                               s.force ? " (forced)" : "");
          },
          [](const ReleaseLock& s) { return fmt::format("app {}", s.app_id); },
          [](const UpdateCommit& s) { return fmt::format("app {} -> {}", s.app_id, s.commit); },
          [](const RequireReboot& s) { return fmt::format("app {} service {}", s.app_id, s.service_name); },
          [](const EnsureSupervisorNetwork&) { return std::string("supervisor0"); },
          [](const Noop&) { return std::string(); },
      },
      step);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string explain(const Step& step) { return describe(step) + " -- " + reason_of(step); }

}  // namespace reconcile
