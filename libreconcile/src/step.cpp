#include "reconcile/step.hpp"

#include <type_traits>

namespace reconcile {

const char* action_name(const Step& step) {
  return std::visit(
      [](const auto& s) -> const char* {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, Fetch>) return "fetch";
        else if constexpr (std::is_same_v<T, Kill>) return "kill";
        else if constexpr (std::is_same_v<T, Stop>) return "stop";
        else if constexpr (std::is_same_v<T, Remove>) return "remove";
        else if constexpr (std::is_same_v<T, Start>) return "start";
        else if constexpr (std::is_same_v<T, UpdateMetadata>) return "updateMetadata";
        else if constexpr (std::is_same_v<T, Restart>) return "restart";
        else if constexpr (std::is_same_v<T, Handover>) return "handover";
        else if constexpr (std::is_same_v<T, RemoveImage>) return "removeImage";
        else if constexpr (std::is_same_v<T, SaveImage>) return "saveImage";
        else if constexpr (std::is_same_v<T, CreateNetwork>) return "createNetwork";
        else if constexpr (std::is_same_v<T, CreateVolume>) return "createVolume";
        else if constexpr (std::is_same_v<T, RemoveNetwork>) return "removeNetwork";
        else if constexpr (std::is_same_v<T, RemoveVolume>) return "removeVolume";
        else if constexpr (std::is_same_v<T, TakeLock>) return "takeLock";
        else if constexpr (std::is_same_v<T, ReleaseLock>) return "releaseLock";
        else if constexpr (std::is_same_v<T, UpdateCommit>) return "updateCommit";
        else if constexpr (std::is_same_v<T, RequireReboot>) return "requireReboot";
        else if constexpr (std::is_same_v<T, Noop>) return "noop";
        else return "cleanup";
      },
      step);
}

const std::string& reason_of(const Step& step) {
  return std::visit([](const auto& s) -> const std::string& { return s.reason; }, step);
}

AppId app_of(const Step& step) {
  return std::visit(
      [](const auto& s) -> AppId {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, Fetch> || std::is_same_v<T, RemoveImage> ||
                      std::is_same_v<T, SaveImage>) {
          return s.image.app_id;
        } else if constexpr (std::is_same_v<T, Kill> || std::is_same_v<T, Stop> ||
                             std::is_same_v<T, Remove> || std::is_same_v<T, UpdateMetadata> ||
                             std::is_same_v<T, Restart> || std::is_same_v<T, Handover> ||
                             std::is_same_v<T, RemoveNetwork> || std::is_same_v<T, RemoveVolume>) {
          return s.current.app_id;
        } else if constexpr (std::is_same_v<T, Start> || std::is_same_v<T, CreateNetwork> ||
                             std::is_same_v<T, CreateVolume>) {
          return s.target.app_id;
        } else if constexpr (std::is_same_v<T, TakeLock> || std::is_same_v<T, ReleaseLock> ||
                             std::is_same_v<T, UpdateCommit> || std::is_same_v<T, RequireReboot>) {
          return s.app_id;
        } else {
          return 0;
        }
      },
      step);
}

}  // namespace reconcile
