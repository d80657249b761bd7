// State the Docker reader and executor share within one daemon: the pulls in
// progress (the planner waits for them instead of fetching twice), and the
// settings that shape every snapshot.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace engine {

struct RuntimeSettings {
  std::string reboot_breadcrumb;  // file whose mtime after boot means "reboot asked"
  bool keep_images = false;       // local mode: images are never removed
  bool keep_volumes = false;      // local mode: volumes of removed apps stay
  // When set ("key=value"), only containers, networks and volumes carrying
  // this label are read: tests on a shared engine see only their own objects.
  std::string scope_label;
  // The snapshot reports whether supervisor0 is as the supervisor makes it,
  // so the planner makes it anew when not. Off: it is taken as ready (tools
  // and tests that do not own the engine's supervisor0 leave it alone).
  bool manage_supervisor_network = false;
};

class Downloads {
 public:
  void begin(const std::string& image) {
    const std::lock_guard<std::mutex> lock(mutex_);
    names_.insert(image);
  }
  void end(const std::string& image) {
    const std::lock_guard<std::mutex> lock(mutex_);
    names_.erase(image);
  }
  [[nodiscard]] std::vector<std::string> list() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return {names_.begin(), names_.end()};
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::string> names_;
};

}  // namespace engine
