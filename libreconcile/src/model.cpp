#include "reconcile/model.hpp"

#include <array>
#include <utility>

namespace reconcile {
namespace {

constexpr std::array<std::pair<ServiceStatus, const char*>, 13> kStatusNames{{
    {ServiceStatus::Running, "Running"},
    {ServiceStatus::Stopped, "Stopped"},
    {ServiceStatus::Stopping, "Stopping"},
    {ServiceStatus::Exited, "exited"},
    {ServiceStatus::Installing, "Installing"},
    {ServiceStatus::Installed, "Installed"},
    {ServiceStatus::Dead, "Dead"},
    {ServiceStatus::HandingOver, "Handing over"},
    {ServiceStatus::AwaitingHandover, "Awaiting handover"},
    {ServiceStatus::Downloading, "Downloading"},
    {ServiceStatus::Paused, "paused"},
    {ServiceStatus::Restarting, "restarting"},
    {ServiceStatus::Removing, "removing"},
}};

constexpr std::array<std::pair<UpdateStrategy, const char*>, 4> kStrategyNames{{
    {UpdateStrategy::DownloadThenKill, "download-then-kill"},
    {UpdateStrategy::KillThenDownload, "kill-then-download"},
    {UpdateStrategy::DeleteThenDownload, "delete-then-download"},
    {UpdateStrategy::HandOver, "hand-over"},
}};

}  // namespace

const char* to_string(ServiceStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "Running";
}

std::optional<ServiceStatus> parse_service_status(std::string_view text) {
  for (const auto& [value, name] : kStatusNames) {
    if (text == name) return value;
  }
  // The engine's own spellings of the same states.
  if (text == "running") return ServiceStatus::Running;
  if (text == "created") return ServiceStatus::Installed;
  if (text == "dead") return ServiceStatus::Dead;
  return std::nullopt;
}

const char* to_string(UpdateStrategy strategy) {
  for (const auto& [value, name] : kStrategyNames) {
    if (value == strategy) return name;
  }
  return "download-then-kill";
}

const ServiceConfig& Service::config() const {
  static const ServiceConfig kDefault;  // immutable, so sharing it is safe
  return config_ ? *config_ : kDefault;
}

void Service::set_config(ServiceConfig config) {
  config_ = std::make_shared<const ServiceConfig>(std::move(config));
}

bool operator==(const Service& a, const Service& b) {
  return a.service_name == b.service_name && a.app_id == b.app_id && a.app_uuid == b.app_uuid &&
         a.service_id == b.service_id && a.image_id == b.image_id && a.release_id == b.release_id &&
         a.commit == b.commit && a.image == b.image && a.running == b.running &&
         a.status == b.status && a.container_id == b.container_id && a.created_at == b.created_at &&
         a.exit_error == b.exit_error && a.docker_image_id == b.docker_image_id &&
         (a.config_ == b.config_ || a.config() == b.config());
}

Image image_of(const Service& service) {
  Image image;
  image.name = service.image;
  image.app_id = service.app_id;
  image.app_uuid = service.app_uuid;
  image.service_name = service.service_name;
  image.service_id = service.service_id;
  image.image_id = service.image_id;
  image.release_id = service.release_id;
  image.commit = service.commit;
  image.docker_image_id = service.docker_image_id;
  return image;
}

UpdateStrategy parse_update_strategy(std::string_view text) {
  for (const auto& [value, name] : kStrategyNames) {
    if (text == name) return value;
  }
  return UpdateStrategy::DownloadThenKill;
}

}  // namespace reconcile
