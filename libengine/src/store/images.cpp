// Image records: the images the supervisor pulled or adopted (saveImage),
// forgotten on removeImage.
#include <fmt/format.h>
#include <algorithm>
#include <string>

#include "store_impl.hpp"

namespace engine::store {
namespace {

std::string describe(const reconcile::Image& image) {
  return fmt::format("image '{}' of app {} service {}", image.name, image.app_id, image.service_name);
}

// ?1 to ?8: the columns that name an image record.
void bind_record_key(detail::Use& use, const reconcile::Image& image) {
  use.bind(1, image.name).bind(2, image.app_id).bind(3, image.app_uuid).bind(4, image.service_name);
  use.bind(5, image.service_id).bind(6, image.image_id).bind(7, image.release_id).bind(8, image.commit);
}

}  // namespace

Result<Change> Store::add_image(const reconcile::Image& image) {
  const std::string operation = fmt::format("add_image: {}", describe(image));
  return impl_->guarded(operation, [&]() -> Result<Change> {
    // A known record only changes when the engine id is new; an unknown id
    // (NULL) never erases a known one.
    return impl_->change(
        "INSERT INTO image (name, app_id, app_uuid, service_name, service_id, image_id, release_id, "
        "commit_hash, docker_image_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (name, app_id, app_uuid, service_name, service_id, image_id, release_id, commit_hash) "
        "DO UPDATE SET docker_image_id = excluded.docker_image_id "
        "WHERE excluded.docker_image_id IS NOT NULL AND docker_image_id IS NOT excluded.docker_image_id",
        operation, [&](detail::Use& use) {
          bind_record_key(use, image);
          use.bind(9, image.docker_image_id);
        });
  });
}

Result<Change> Store::remove_image(const reconcile::Image& image) {
  const std::string operation = fmt::format("remove_image: {}", describe(image));
  return impl_->guarded(operation, [&]() -> Result<Change> {
    return impl_->change(
        "DELETE FROM image WHERE name = ?1 AND app_id = ?2 AND app_uuid = ?3 AND service_name = ?4 "
        "AND service_id = ?5 AND image_id = ?6 AND release_id = ?7 AND commit_hash = ?8",
        operation, [&](detail::Use& use) { bind_record_key(use, image); });
  });
}

Result<std::vector<reconcile::Image>> Store::images() {
  constexpr std::string_view kOperation = "images";
  return impl_->guarded(kOperation, [&]() -> Result<std::vector<reconcile::Image>> {
    std::vector<reconcile::Image> images;
    const auto read_row = [&](detail::Use& use) {
      reconcile::Image image;
      image.name = use.text(0);
      image.app_id = use.int64(1);
      image.app_uuid = use.text(2);
      image.service_name = use.text(3);
      image.service_id = use.int64(4);
      image.image_id = use.int64(5);
      image.release_id = use.int64(6);
      image.commit = use.text(7);
      image.docker_image_id = use.optional_text(8);
      images.push_back(std::move(image));
    };
    if (auto error = impl_->for_each_row("SELECT name, app_id, app_uuid, service_name, service_id, image_id, "
                                         "release_id, commit_hash, docker_image_id FROM image",
                                         std::string(kOperation), [](detail::Use&) {}, read_row)) {
      return *error;
    }
    std::sort(images.begin(), images.end());
    return images;
  });
}

}  // namespace engine::store
