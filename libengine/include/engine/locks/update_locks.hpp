// Update locks: the lockfiles user services create to hold off updates, and
// the supervisor takes before it kills, stops, renames or starts anything.
//
// Layout, as the balena supervisor: <root>/<appId>/<serviceName>/ is
// bind-mounted into each service (at /tmp/balena and /tmp/resin) and holds
// `updates.lock` (and the legacy `resin-updates.lock`). A lockfile owned by
// uid 65534 (nobody) was created by the supervisor; any other owner means a
// user service holds the lock. The supervisor's own lockfiles survive a
// restart of the supervisor, so `held()` is read from the files.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "engine/exec/ports.hpp"
#include "reconcile/model.hpp"

namespace engine {

enum class Force { No, Yes };

class UpdateLocks {
 public:
  static constexpr unsigned kSupervisorUid = 65534;

  explicit UpdateLocks(std::string root);

  // Takes the lock of every listed service of the app. Fails, taking none,
  // when a user service holds one, unless `force`: then the user's lockfiles
  // are deleted first.
  [[nodiscard]] Status take(reconcile::AppId app, const std::vector<std::string>& services, Force force);
  // Deletes the supervisor's lockfiles of the app (the user's stay).
  [[nodiscard]] Status release(reconcile::AppId app);
  // Apps with at least one supervisor lockfile; an error when the lock
  // directory exists but cannot be read.
  [[nodiscard]] Result<std::set<reconcile::AppId>> held() const;
  // The directory to bind-mount into the service (created on demand),
  // checked: an Invalid error unless it is <root>/<app>/<service> with the
  // service name one plain path component, so that no name (the target
  // readers refuse such names already) makes a lock path outside root.
  [[nodiscard]] Result<std::string> lock_dir(reconcile::AppId app, const std::string& service) const;
  // The same path, unchecked: for names already known to be valid engine
  // names (a service read back from its container). Prefer lock_dir.
  [[nodiscard]] std::string service_dir(reconcile::AppId app, const std::string& service) const;

 private:
  std::string root_;
};

}  // namespace engine
