// What the runtime keeps besides the engine: the image records (the engine
// knows images only by id and tag; the records say which app, service and
// release each belongs to) and each app's running release. The SQLite store
// implements it for the daemon; MemoryRecords serves tests.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/exec/ports.hpp"
#include "reconcile/model.hpp"

namespace engine {

class Records {
 public:
  virtual ~Records() = default;
  [[nodiscard]] virtual Status images(std::vector<reconcile::Image>& out) = 0;
  // Adding a record that exists already changes nothing.
  [[nodiscard]] virtual Status add_image(const reconcile::Image& image) = 0;
  [[nodiscard]] virtual Status remove_image(const reconcile::Image& image) = 0;
  [[nodiscard]] virtual Status commits(std::map<reconcile::AppId, std::string>& out) = 0;
  [[nodiscard]] virtual Status set_commit(reconcile::AppId app, const std::string& commit) = 0;
};

class MemoryRecords : public Records {
 public:
  Status images(std::vector<reconcile::Image>& out) override;
  Status add_image(const reconcile::Image& image) override;
  Status remove_image(const reconcile::Image& image) override;
  Status commits(std::map<reconcile::AppId, std::string>& out) override;
  Status set_commit(reconcile::AppId app, const std::string& commit) override;

 private:
  std::mutex mutex_;
  std::vector<reconcile::Image> images_;
  std::map<reconcile::AppId, std::string> commits_;
};

}  // namespace engine
