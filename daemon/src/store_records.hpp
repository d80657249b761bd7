// The runtime's records (image records, running commits) kept in the store.
#pragma once

#include "engine/runtime/records.hpp"
#include "engine/store/store.hpp"

namespace supervisor {

class StoreRecords : public engine::Records {
 public:
  explicit StoreRecords(engine::store::Store& store) : store_(store) {}

  engine::Status images(std::vector<reconcile::Image>& out) override {
    auto listed = store_.images();
    if (!listed) return engine::Status::failure(listed.error().describe());
    out = std::move(listed).value();
    return engine::Status::success();
  }
  engine::Status add_image(const reconcile::Image& image) override { return done(store_.add_image(image)); }
  engine::Status remove_image(const reconcile::Image& image) override { return done(store_.remove_image(image)); }
  engine::Status commits(std::map<reconcile::AppId, std::string>& out) override {
    auto listed = store_.commits();
    if (!listed) return engine::Status::failure(listed.error().describe());
    out = std::move(listed).value();
    return engine::Status::success();
  }
  engine::Status set_commit(reconcile::AppId app, const std::string& commit) override {
    return done(store_.set_commit(app, commit));
  }

 private:
  static engine::Status done(const engine::store::Result<engine::store::Change>& result) {
    return result ? engine::Status::success() : engine::Status::failure(result.error().describe());
  }
  engine::store::Store& store_;
};

}  // namespace supervisor
