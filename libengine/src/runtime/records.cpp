#include "engine/runtime/records.hpp"

#include <algorithm>

namespace engine {
namespace {

// Records are the same when all but the engine's id match.
bool same_record(const reconcile::Image& a, const reconcile::Image& b) {
  return a.name == b.name && a.app_id == b.app_id && a.app_uuid == b.app_uuid && a.service_name == b.service_name &&
         a.service_id == b.service_id && a.image_id == b.image_id && a.release_id == b.release_id &&
         a.commit == b.commit;
}

}  // namespace

Status MemoryRecords::images(std::vector<reconcile::Image>& out) {
  const std::lock_guard<std::mutex> lock(mutex_);
  out = images_;
  return Status::success();
}

Status MemoryRecords::add_image(const reconcile::Image& image) {
  const std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(images_.begin(), images_.end(), [&](const auto& i) { return same_record(i, image); });
  if (it == images_.end()) images_.push_back(image);
  else if (image.docker_image_id) it->docker_image_id = image.docker_image_id;
  return Status::success();
}

Status MemoryRecords::remove_image(const reconcile::Image& image) {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::erase_if(images_, [&](const auto& i) { return same_record(i, image); });
  return Status::success();
}

Status MemoryRecords::commits(std::map<reconcile::AppId, std::string>& out) {
  const std::lock_guard<std::mutex> lock(mutex_);
  out = commits_;
  return Status::success();
}

Status MemoryRecords::set_commit(reconcile::AppId app, const std::string& commit) {
  const std::lock_guard<std::mutex> lock(mutex_);
  commits_[app] = commit;
  return Status::success();
}

}  // namespace engine
