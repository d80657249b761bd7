#include "images.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace reconcile::detail {
namespace {

ImageIndex::RecordKey key_of(const Image& image) {
  return {image.name,     image.app_uuid,   image.service_name, image.commit,
          image.app_id,   image.service_id, image.image_id,     image.release_id};
}

ImageIndex::RecordKey key_of(const Service& service) {
  return {service.image,  service.app_uuid,   service.service_name, service.commit,
          service.app_id, service.service_id, service.image_id,     service.release_id};
}

}  // namespace

std::size_t ImageIndex::RecordKeyHash::operator()(const RecordKey& key) const noexcept {
  std::size_t hash = FastHash{}(key.name);
  const auto mix = [&hash](std::size_t value) { hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2); };
  mix(FastHash{}(key.service_name));
  mix(FastHash{}(key.commit));
  mix(static_cast<std::size_t>(key.app_id));
  mix(static_cast<std::size_t>(key.image_id));
  mix(static_cast<std::size_t>(key.release_id));
  return hash;
}

ImageIndex::ImageIndex(const Context& context)
    : names_(context.available_images.size()),
      downloading_(context.downloading.size()),
      records_(context.available_images.size()) {
  for (const Image& image : context.available_images) {
    names_.insert(image.name);
    records_.insert(key_of(image));
  }
  for (const std::string& name : context.downloading) downloading_.insert(name);
}

bool ImageIndex::on_engine(const Service& target) const {
  return target.docker_image_id.has_value() || names_.contains(target.image);
}

bool ImageIndex::downloading(const Service& target) const {
  return downloading_.contains(target.image);
}

bool ImageIndex::recorded(const Service& service) const { return records_.contains(key_of(service)); }

std::vector<Step> image_steps(const State& current, const State& target, const Context& context,
                              const ImageIndex& images) {
  std::vector<Step> steps;

  // saveImage: only for apps the planner may move (not rejected ones).
  std::set<Image> to_save;
  for (const App& app : target.apps) {
    if (app.is_rejected) continue;
    for (const Service& service : app.services) {
      if (images.on_engine(service) && !images.recorded(service)) to_save.insert(image_of(service));
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
  std::size_t services = 0;
  for (const State* state : {&current, &target}) {
    for (const App& app : state->apps) services += app.services.size();
  }
  FlatSet<std::string_view, FastHash> in_use_names(2 * services);
  FlatSet<std::string_view, FastHash> in_use_ids(2 * services);
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
          service.config().strategy != UpdateStrategy::DeleteThenDownload) {
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
