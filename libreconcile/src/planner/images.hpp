// What the planner knows about images: which are on the engine, which are
// recorded, which are downloading. Built once per next_steps call.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "reconcile/model.hpp"
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
  // A record with exactly this metadata exists.
  [[nodiscard]] bool recorded(const Image& image) const;

 private:
  std::unordered_set<std::string_view> names_;
  std::unordered_set<std::string_view> downloading_;
  std::unordered_set<std::string> records_;
};

// The image tier, planned only while nothing downloads: record target images
// the engine has but the store lacks (saveImage), and remove records no
// container or target service needs (removeImage, unless keepImages).
[[nodiscard]] std::vector<Step> image_steps(const State& current, const State& target,
                                            const Context& context, const ImageIndex& images);

}  // namespace reconcile::detail
