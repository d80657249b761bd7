// Image records: the images the supervisor pulled or adopted (saveImage),
// forgotten on removeImage.
#include <algorithm>
#include <string>

#include "store_impl.hpp"

namespace engine::store {
namespace {

std::string describe(const reconcile::Image& image) {
  return "image '" + image.name + "' of app " + std::to_string(image.app_id) + " service " + image.service_name;
}

}  // namespace

Result<Change> Store::add_image(const reconcile::Image& image) {
  const std::string operation = "add_image: " + describe(image);
  return impl_->guarded(operation, [&]() -> Result<Change> {
    sqlite3_stmt* statement = nullptr;
    // A known record only changes when the engine id is new; an unknown id
    // (NULL) never erases a known one.
    if (auto error = impl_->prepare(
            "INSERT INTO image (name, app_id, app_uuid, service_name, service_id, image_id, release_id, "
            "commit_hash, docker_image_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
            "ON CONFLICT (name, app_id, app_uuid, service_name, service_id, image_id, release_id, commit_hash) "
            "DO UPDATE SET docker_image_id = excluded.docker_image_id "
            "WHERE excluded.docker_image_id IS NOT NULL AND docker_image_id IS NOT excluded.docker_image_id",
            operation, statement)) {
      return *error;
    }
    detail::Use use(impl_->db.get(), statement, operation);
    use.bind(1, image.name).bind(2, image.app_id).bind(3, image.app_uuid).bind(4, image.service_name);
    use.bind(5, image.service_id).bind(6, image.image_id).bind(7, image.release_id).bind(8, image.commit);
    use.bind(9, image.docker_image_id);
    if (auto error = use.run()) return *error;
    return sqlite3_changes64(impl_->db.get()) > 0 ? Change::Changed : Change::Unchanged;
  });
}

Result<Change> Store::remove_image(const reconcile::Image& image) {
  const std::string operation = "remove_image: " + describe(image);
  return impl_->guarded(operation, [&]() -> Result<Change> {
    sqlite3_stmt* statement = nullptr;
    if (auto error = impl_->prepare(
            "DELETE FROM image WHERE name = ?1 AND app_id = ?2 AND app_uuid = ?3 AND service_name = ?4 "
            "AND service_id = ?5 AND image_id = ?6 AND release_id = ?7 AND commit_hash = ?8",
            operation, statement)) {
      return *error;
    }
    detail::Use use(impl_->db.get(), statement, operation);
    use.bind(1, image.name).bind(2, image.app_id).bind(3, image.app_uuid).bind(4, image.service_name);
    use.bind(5, image.service_id).bind(6, image.image_id).bind(7, image.release_id).bind(8, image.commit);
    if (auto error = use.run()) return *error;
    return sqlite3_changes64(impl_->db.get()) > 0 ? Change::Changed : Change::Unchanged;
  });
}

Result<std::vector<reconcile::Image>> Store::images() {
  constexpr std::string_view kOperation = "images";
  return impl_->guarded(kOperation, [&]() -> Result<std::vector<reconcile::Image>> {
    sqlite3_stmt* statement = nullptr;
    if (auto error = impl_->prepare("SELECT name, app_id, app_uuid, service_name, service_id, image_id, "
                                    "release_id, commit_hash, docker_image_id FROM image",
                                    kOperation, statement)) {
      return *error;
    }
    detail::Use use(impl_->db.get(), statement, std::string(kOperation));
    std::vector<reconcile::Image> images;
    while (use.next_row()) {
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
    }
    if (use.error()) return *use.error();
    std::sort(images.begin(), images.end());
    return images;
  });
}

}  // namespace engine::store
