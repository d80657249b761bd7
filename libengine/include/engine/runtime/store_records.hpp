// The runtime's records (image records, running commits) kept in the store.
#pragma once

#include "engine/runtime/records.hpp"
#include "engine/store/store.hpp"

namespace engine {

// A store failure as the seams report it (kind Store).
[[nodiscard]] Error error_from(const store::Error& error);

class StoreRecords : public Records {
 public:
  explicit StoreRecords(store::Store& store) : store_(store) {}

  Status images(std::vector<reconcile::Image>& out) override;
  Status add_image(const reconcile::Image& image) override;
  Status remove_image(const reconcile::Image& image) override;
  Status commits(std::map<reconcile::AppId, std::string>& out) override;
  Status set_commit(reconcile::AppId app, const std::string& commit) override;

 private:
  store::Store& store_;
};

}  // namespace engine
