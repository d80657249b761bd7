#include "stream.hpp"

#include <algorithm>
#include <cmath>

namespace engine::docker::detail {
namespace {

// Fraction downloaded implied by a layer status, or a negative value when the
// status is not about a layer ("Pulling from x", "Digest: ...", "Status: ...").
double fraction_for(const PullProgress& progress) {
  const std::string& status = progress.status;
  if (status == "Pulling fs layer" || status == "Waiting") return 0.0;
  if (status == "Downloading") {
    if (progress.total <= 0) return 0.0;
    return std::clamp(static_cast<double>(progress.current) / static_cast<double>(progress.total),
                      0.0, 1.0);
  }
  if (status == "Verifying Checksum" || status == "Download complete" ||
      status == "Extracting" || status == "Pull complete" || status == "Already exists") {
    return 1.0;
  }
  return -1.0;
}

}  // namespace

void PullTracker::update(PullProgress& progress) {
  if (!progress.layer.empty()) {
    const double fraction = fraction_for(progress);
    if (fraction >= 0.0) {
      double& known = layer_fraction_[progress.layer];
      // "Extracting" reports bytes of the extraction: never step backwards.
      known = std::max(known, fraction);
    }
  }
  if (layer_fraction_.empty()) {
    progress.percent = -1;
    return;
  }
  double sum = 0.0;
  for (const auto& [layer, fraction] : layer_fraction_) sum += fraction;
  progress.percent =
      static_cast<int>(std::floor(100.0 * sum / static_cast<double>(layer_fraction_.size())));
}

}  // namespace engine::docker::detail
