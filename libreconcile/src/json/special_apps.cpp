#include "reconcile/special_apps.hpp"

#include <algorithm>
#include <array>
#include <string>

#include <nlohmann/json.hpp>

namespace reconcile {
namespace {

constexpr std::array<std::string_view, 5> kSupervisorApps = {
    "52e35121417640b1b28a680504e4039b",  // amd64
    "900de4f3cbac4b9bbd232885a35e407b",  // aarch64
    "2e66a95795c149959c69472a8c2f92b8",  // armv7hf
    "531b357e155c480cbec0fdd33041a1f5",  // i386
    "6822565f766e413e96d9bebe2227cdcc",  // rpi
};

// A label's value: the service's own labels over its composition's.
std::string label(const nlohmann::json& service, const char* key) {
  const nlohmann::json* places[] = {
      service.is_object() && service.contains("labels") ? &service["labels"] : nullptr,
      service.is_object() && service.contains("composition") && service["composition"].is_object() &&
              service["composition"].contains("labels")
          ? &service["composition"]["labels"]
          : nullptr,
  };
  for (const nlohmann::json* labels : places) {
    if (labels == nullptr || !labels->is_object()) continue;
    const auto found = labels->find(key);
    if (found != labels->end() && found->is_string()) return found->get<std::string>();
  }
  return "";
}

}  // namespace

bool is_balena_supervisor_service(std::string_view app_uuid, std::string_view service_name) {
  return std::find(kSupervisorApps.begin(), kSupervisorApps.end(), app_uuid) != kSupervisorApps.end() &&
         (service_name == "main" || service_name == "balena-supervisor" || service_name == "core");
}

bool host_app_runs(const nlohmann::json& service) {
  const std::string image_class = label(service, "io.balena.image.class");
  const std::string store = label(service, "io.balena.image.store");
  return (image_class.empty() || image_class == "service") && (store.empty() || store == "data");
}

}  // namespace reconcile
