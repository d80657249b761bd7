#include "images.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/join.hpp>
#include <range/v3/view/transform.hpp>

namespace reconcile::detail {
namespace {

namespace views = ranges::views;

ImageIndex::RecordKey key_of(const Image& image) {
  return {image.name,     image.app_uuid,   image.service_name, image.commit,
          image.app_id,   image.service_id, image.image_id,     image.release_id};
}

ImageIndex::RecordKey key_of(const Service& service) {
  return {service.image,  service.app_uuid,   service.service_name, service.commit,
          service.app_id, service.service_id, service.image_id,     service.release_id};
}

// A reference with neither tag nor digest means its :latest tag. A colon
// before the last slash belongs to a registry's port, not to a tag.
bool has_tag_or_digest(std::string_view name) {
  if (name.find('@') != std::string_view::npos) return true;
  const auto slash = name.rfind('/');
  return name.find(':', slash == std::string_view::npos ? 0 : slash + 1) != std::string_view::npos;
}

using Reference = std::pair<std::string_view, std::string_view>;  // reference, engine image id

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
  if (context.engine_images.empty()) return;
  engine_ids_ = context.engine_images |
                views::transform([](const EngineImage& image) { return std::string_view(image.id); }) |
                ranges::to<std::vector>();
  std::sort(engine_ids_.begin(), engine_ids_.end());
  engine_references_ = context.engine_images | views::transform([](const EngineImage& image) {
                         return image.references | views::transform([&image](const std::string& reference) {
                                  return Reference{reference, image.id};
                                });
                       }) |
                       views::join | ranges::to<std::vector>();
  std::sort(engine_references_.begin(), engine_references_.end());
}

bool ImageIndex::on_engine(const Service& target) const {
  return target.docker_image_id.has_value() || names_.contains(target.image);
}

bool ImageIndex::downloading(const Service& target) const {
  return downloading_.contains(target.image);
}

bool ImageIndex::recorded(const Service& service) const { return records_.contains(key_of(service)); }

std::optional<std::string_view> ImageIndex::engine_image(const Service& target) const {
  if (engine_ids_.empty()) return std::nullopt;
  if (target.docker_image_id) {
    if (std::binary_search(engine_ids_.begin(), engine_ids_.end(), std::string_view(*target.docker_image_id))) {
      return std::string_view(*target.docker_image_id);
    }
    return std::nullopt;
  }
  const auto find = [this](std::string_view reference) -> std::optional<std::string_view> {
    const auto it = std::lower_bound(engine_references_.begin(), engine_references_.end(), reference,
                                     [](const Reference& item, std::string_view key) { return item.first < key; });
    if (it == engine_references_.end() || it->first != reference) return std::nullopt;
    return it->second;
  };
  if (auto id = find(target.image)) return id;
  if (has_tag_or_digest(target.image)) return std::nullopt;
  return find(fmt::format("{}:latest", target.image));
}

std::optional<std::string_view> ImageIndex::image_id(const Service& target) const {
  if (target.docker_image_id) return std::string_view(*target.docker_image_id);
  return engine_image(target);
}

Image record_for(const Service& target, const ImageIndex& images) {
  Image image = image_of(target);
  if (!image.docker_image_id) {
    if (const auto id = images.engine_image(target)) image.docker_image_id = std::string(*id);
  }
  return image;
}

std::vector<Step> image_steps(const State& current, const State& target, const Context& context,
                              const ImageIndex& images) {
  std::vector<Step> steps;

  // saveImage: only for apps the planner may move (not rejected ones), for
  // images that are available without a record of exactly this service, or
  // that the engine holds without any record at all.
  std::set<Image> to_save;
  for (const App& app : target.apps | views::filter([](const App& a) { return !a.is_rejected; })) {
    for (const Service& service : app.services) {
      if ((images.on_engine(service) || images.engine_image(service)) && !images.recorded(service)) {
        to_save.insert(record_for(service, images));
      }
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
  const auto unused = [&](const Image& image) {
    return !in_use_names.contains(image.name) &&
           !(image.docker_image_id && in_use_ids.contains(*image.docker_image_id)) &&
           !delta_sources.contains({image.app_id, image.service_name});
  };
  const std::set<Image> to_remove = context.available_images | views::filter(unused) | ranges::to<std::set>();
  if (to_remove.empty()) return steps;

  // The engine's copy stays when a record that stays (another release's)
  // names the same image, by name or by engine id.
  FlatSet<std::string_view, FastHash> kept_names(context.available_images.size());
  FlatSet<std::string_view, FastHash> kept_ids(context.available_images.size());
  for (const Image& image :
       context.available_images | views::filter([&](const Image& image) { return !to_remove.contains(image); })) {
    kept_names.insert(image.name);
    if (image.docker_image_id) kept_ids.insert(*image.docker_image_id);
  }
  for (const Image& image : to_remove) {
    const bool shared =
        kept_names.contains(image.name) || (image.docker_image_id && kept_ids.contains(*image.docker_image_id));
    if (shared) {
      steps.emplace_back(RemoveImage{image, EngineCopy::Keep,
                                     "no container or target service uses the record; another record keeps the "
                                     "engine's image"});
    } else {
      steps.emplace_back(RemoveImage{image, EngineCopy::Delete, "no container or target service uses the image"});
    }
  }
  return steps;
}

}  // namespace reconcile::detail
