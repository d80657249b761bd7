// What the planner knows about images: which are on the engine, which are
// recorded, which are downloading. Built once per next_steps call.
#pragma once

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

  // The engine has the service's image: a record of that name exists, or the
  // target service carries the engine's image id.
  [[nodiscard]] bool on_engine(const Service& target) const;
  [[nodiscard]] bool needs_download(const Service& target) const { return !on_engine(target); }
  [[nodiscard]] bool downloading(const Service& target) const;
  [[nodiscard]] bool any_downloading() const { return !downloading_.empty(); }
  // A record with exactly the metadata of the service's image exists.
  [[nodiscard]] bool recorded(const Service& service) const;

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
};

// The image tier, planned only while nothing downloads: record target images
// the engine has but the store lacks (saveImage), and remove records no
// container or target service needs (removeImage, unless keepImages).
[[nodiscard]] std::vector<Step> image_steps(const State& current, const State& target,
                                            const Context& context, const ImageIndex& images);

}  // namespace reconcile::detail
