#include "reconcile/plan_text.hpp"

#include <type_traits>

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

}  // namespace

std::string describe(const Step& step) {
  std::string out = action_name(step);
  out += ' ';
  std::visit(
      [&out](const auto& s) {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, Fetch> || std::is_same_v<T, RemoveImage> ||
                      std::is_same_v<T, SaveImage>) {
          out += image_text(s.image);
        } else if constexpr (std::is_same_v<T, Kill> || std::is_same_v<T, Stop> ||
                             std::is_same_v<T, Remove>) {
          out += service_text(s.current);
        } else if constexpr (std::is_same_v<T, Start>) {
          out += service_text(s.target);
        } else if constexpr (std::is_same_v<T, UpdateMetadata> || std::is_same_v<T, Restart> ||
                             std::is_same_v<T, Handover>) {
          out += service_text(s.current) + " -> commit " + s.target.commit;
        } else if constexpr (std::is_same_v<T, CreateNetwork> || std::is_same_v<T, CreateVolume>) {
          out += "app " + std::to_string(s.target.app_id) + " " + s.target.name;
        } else if constexpr (std::is_same_v<T, RemoveNetwork> || std::is_same_v<T, RemoveVolume>) {
          out += "app " + std::to_string(s.current.app_id) + " " + s.current.name;
        } else if constexpr (std::is_same_v<T, TakeLock>) {
          out += "app " + std::to_string(s.app_id) + " services";
          for (const std::string& name : s.services) out += " " + name;
          if (s.force) out += " (forced)";
        } else if constexpr (std::is_same_v<T, ReleaseLock>) {
          out += "app " + std::to_string(s.app_id);
        } else if constexpr (std::is_same_v<T, UpdateCommit>) {
          out += "app " + std::to_string(s.app_id) + " -> " + s.commit;
        } else if constexpr (std::is_same_v<T, RequireReboot>) {
          out += "app " + std::to_string(s.app_id) + " service " + s.service_name;
        }
      },
      step);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string explain(const Step& step) { return describe(step) + " -- " + reason_of(step); }

}  // namespace reconcile
