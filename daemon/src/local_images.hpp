// A fetch of an image the engine already has only records it. Images built
// on the device (`balena push` in local mode) were never in a registry, and
// an image whose record was lost with the database need not be pulled again.
#pragma once

#include "engine/docker/client.hpp"
#include "engine/exec/ports.hpp"

namespace supervisor {

class LocalImagesFirst : public engine::StepExecutor {
 public:
  LocalImagesFirst(engine::StepExecutor& inner, const engine::docker::Client& docker)
      : inner_(inner), docker_(docker) {}

  engine::Status run(const reconcile::Step& step, const engine::CancelFlag& cancel,
                     const engine::ProgressFn& progress) override {
    if (const auto* fetch = std::get_if<reconcile::Fetch>(&step)) {
      if (docker_.inspect_image(fetch->image.name).ok()) {
        if (progress) progress(step, 100);
        return inner_.run(reconcile::SaveImage{fetch->image, "the engine has the image already"}, cancel, progress);
      }
    }
    return inner_.run(step, cancel, progress);
  }

 private:
  engine::StepExecutor& inner_;
  const engine::docker::Client& docker_;
};

}  // namespace supervisor
