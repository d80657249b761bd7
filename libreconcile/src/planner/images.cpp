#include "images.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace reconcile::detail {
namespace {

// Identity of an image record: everything but the engine's id.
std::string record_key(const Image& image) {
  std::string key;
  key.reserve(image.name.size() + image.app_uuid.size() + image.service_name.size() +
              image.commit.size() + 64);
  for (const std::string* part : {&image.name, &image.app_uuid, &image.service_name, &image.commit}) {
    key += *part;
    key += '\x1f';
  }
  for (std::int64_t number : {image.app_id, image.service_id, image.image_id, image.release_id}) {
    key += std::to_string(number);
    key += '\x1f';
  }
  return key;
}

}  // namespace

ImageIndex::ImageIndex(const Context& context) {
  names_.reserve(context.available_images.size());
  records_.reserve(context.available_images.size());
  for (const Image& image : context.available_images) {
    names_.insert(image.name);
    records_.insert(record_key(image));
  }
  for (const std::string& name : context.downloading) downloading_.insert(name);
}

bool ImageIndex::on_engine(const Service& target) const {
  return target.docker_image_id.has_value() || names_.contains(target.image);
}

bool ImageIndex::downloading(const Service& target) const {
  return downloading_.contains(target.image);
}

bool ImageIndex::recorded(const Image& image) const { return records_.contains(record_key(image)); }

std::vector<Step> image_steps(const State& current, const State& target, const Context& context,
                              const ImageIndex& images) {
  std::vector<Step> steps;

  // saveImage: only for apps the planner may move (not rejected ones).
  std::set<Image> to_save;
  for (const App& app : target.apps) {
    if (app.is_rejected) continue;
    for (const Service& service : app.services) {
      if (!images.on_engine(service)) continue;
      Image image = image_of(service);
      if (!images.recorded(image)) to_save.insert(std::move(image));
    }
  }
  for (const Image& image : to_save) {
    steps.emplace_back(SaveImage{image, "the engine has the image but the store has no record of it"});
  }
  if (context.keep_images) return steps;

  // removeImage: never an image a container runs or any target service
  // (rejected ones included) names, nor the delta source of a pending
  // download (same app and service), unless that service is
  // delete-then-download, which gives up its old image before the pull.
  std::unordered_set<std::string_view> in_use_names;
  std::unordered_set<std::string_view> in_use_ids;
  std::set<std::pair<AppId, std::string_view>> delta_sources;
  for (const App& app : current.apps) {
    for (const Service& service : app.services) {
      in_use_names.insert(service.image);
      if (service.docker_image_id) in_use_ids.insert(*service.docker_image_id);
    }
  }
  for (const App& app : target.apps) {
    for (const Service& service : app.services) {
      in_use_names.insert(service.image);
      if (!app.is_rejected && images.needs_download(service) &&
          service.strategy != UpdateStrategy::DeleteThenDownload) {
        delta_sources.emplace(service.app_id, service.service_name);
      }
    }
  }
  std::set<Image> to_remove;
  for (const Image& image : context.available_images) {
    if (in_use_names.contains(image.name)) continue;
    if (image.docker_image_id && in_use_ids.contains(*image.docker_image_id)) continue;
    if (delta_sources.contains({image.app_id, image.service_name})) continue;
    to_remove.insert(image);
  }
  for (const Image& image : to_remove) {
    steps.emplace_back(RemoveImage{image, "no container or target service uses the image"});
  }
  return steps;
}

}  // namespace reconcile::detail
