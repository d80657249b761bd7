// What the planner knows about images: which are recorded, which the engine
// holds, which are downloading. Built once per next_steps call.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcile/model.hpp"
#include "fast_hash.hpp"
#include "flat_set.hpp"
#include "reconcile/step.hpp"

namespace reconcile::detail {

class ImageIndex {
 public:
  explicit ImageIndex(const Context& context);

  // The service's image is available: a record of that name exists, or the
  // target service carries the engine's image id.
  [[nodiscard]] bool on_engine(const Service& target) const;
  [[nodiscard]] bool needs_download(const Service& target) const { return !on_engine(target); }
  [[nodiscard]] bool downloading(const Service& target) const;
  [[nodiscard]] bool any_downloading() const { return !downloading_.empty(); }
  // A record with exactly the metadata of the service's image exists.
  [[nodiscard]] bool recorded(const Service& service) const;

  // The id of the engine image that is the service's image, when
  // context.engine_images holds it: by the service's docker_image_id when it
  // has one, else by reference (the image name; a name without tag or digest
  // means :latest). Such an image is recorded (saveImage), never pulled.
  [[nodiscard]] std::optional<std::string_view> engine_image(const Service& target) const;
  // The engine id to compare a target's image with a container's: the
  // target's docker_image_id, else the engine image its name refers to.
  [[nodiscard]] std::optional<std::string_view> image_id(const Service& target) const;

  // Identity of an image record: everything but the engine's id. Views into
  // the context's strings, so building the index copies no string.
  struct RecordKey {
    std::string_view name, app_uuid, service_name, commit;
    AppId app_id = 0;
    std::int64_t service_id = 0, image_id = 0, release_id = 0;
    friend bool operator==(const RecordKey&, const RecordKey&) = default;
  };
  struct RecordKeyHash {
    std::size_t operator()(const RecordKey& key) const noexcept;
  };

 private:
  FlatSet<std::string_view, FastHash> names_;
  FlatSet<std::string_view, FastHash> downloading_;
  FlatSet<RecordKey, RecordKeyHash> records_;
  // Engine images (a few dozen; none in requests that do not list them):
  // their ids, sorted, and (reference, id) pairs sorted by reference.
  std::vector<std::string_view> engine_ids_;
  std::vector<std::pair<std::string_view, std::string_view>> engine_references_;
};

// The image tier, planned only while nothing downloads: record target images
// the engine has but the store lacks (saveImage), and remove records no
// container or target service needs (removeImage, unless keepImages).
[[nodiscard]] std::vector<Step> image_steps(const State& current, const State& target,
                                            const Context& context, const ImageIndex& images);

// The image record a target service needs, with the engine's id when the
// engine holds the image.
[[nodiscard]] Image record_for(const Service& target, const ImageIndex& images);

}  // namespace reconcile::detail
