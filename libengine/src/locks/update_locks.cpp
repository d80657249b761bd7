#include "engine/locks/update_locks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace engine {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLockNames[] = {"updates.lock", "resin-updates.lock"};

enum class Owner { None, Supervisor, User };

Owner owner_of(const fs::path& file) {
  struct stat info {};
  if (::lstat(file.c_str(), &info) != 0) return Owner::None;
  return info.st_uid == UpdateLocks::kSupervisorUid ? Owner::Supervisor : Owner::User;
}

std::string errno_text() { return std::strerror(errno); }

// Creates a lockfile that only the supervisor can have made.
Status create_lockfile(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST && owner_of(file) == Owner::Supervisor) return Status::success();
    return Status::failure(ErrorKind::FileSystem, fmt::format("cannot create {}: {}", file.string(), errno_text()));
  }
  const int chown_result = ::fchown(fd, UpdateLocks::kSupervisorUid, UpdateLocks::kSupervisorUid);
  const int saved = errno;
  ::close(fd);
  if (chown_result != 0) {
    ::unlink(file.c_str());
    return Status::failure(ErrorKind::FileSystem,
                           fmt::format("cannot mark {} as the supervisor's: {}", file.string(), std::strerror(saved)));
  }
  return Status::success();
}

}  // namespace

UpdateLocks::UpdateLocks(std::string root) : root_(std::move(root)) {}

std::string UpdateLocks::service_dir(reconcile::AppId app, const std::string& service) const {
  return (fs::path(root_) / fmt::to_string(app) / service).string();
}

Result<std::string> UpdateLocks::lock_dir(reconcile::AppId app, const std::string& service) const {
  // One plain component: no separator, no "." or "..", no NUL. The lexical
  // check after it guards the rule itself: the path must stay two levels
  // below root whatever the name holds.
  const bool plain = !service.empty() && service != "." && service != ".." &&
                     service.find('/') == std::string::npos && service.find('\0') == std::string::npos;
  const fs::path root = fs::path(root_).lexically_normal();
  const fs::path dir = (root / fmt::to_string(app) / service).lexically_normal();
  const fs::path relative = dir.lexically_relative(root);
  const bool inside = app >= 0 && !relative.empty() && *relative.begin() != ".." &&
                      std::distance(relative.begin(), relative.end()) == 2;
  if (!plain || !inside) {
    return Error{ErrorKind::Invalid,
                 fmt::format("the lock directory of service {:?} of app {} would leave {}; refusing it",
                             service, app, root_)};
  }
  return dir.string();
}

Status UpdateLocks::take(reconcile::AppId app, const std::vector<std::string>& services, Force force) {
  // Check every service first, so a refused lock takes nothing.
  for (const std::string& service : services) {
    auto dir = lock_dir(app, service);
    if (!dir.ok()) return Status::failure(dir.error().kind, dir.error().message);
    for (const char* name : kLockNames) {
      const fs::path file = fs::path(dir.value()) / name;
      if (owner_of(file) != Owner::User) continue;
      if (force == Force::No) {
        return Status::failure(ErrorKind::Locked, fmt::format("Updates are locked: service '{}' of app {} holds {}",
                                                              service, app, file.string()));
      }
      std::error_code error;
      fs::remove(file, error);
      if (error) {
        return Status::failure(ErrorKind::FileSystem,
                               fmt::format("cannot override the lock {}: {}", file.string(), error.message()));
      }
    }
  }
  for (const std::string& service : services) {
    const fs::path dir = lock_dir(app, service).value();  // checked above
    std::error_code error;
    fs::create_directories(dir, error);
    if (error) {
      return Status::failure(ErrorKind::FileSystem, fmt::format("cannot create {}: {}", dir.string(), error.message()));
    }
    // Services write their own lockfiles here, whatever user they run as.
    fs::permissions(dir, fs::perms::all | fs::perms::sticky_bit, error);
    for (const char* name : kLockNames) {
      if (Status created = create_lockfile(dir / name); !created.ok()) {
        (void)release(app);
        return created;
      }
    }
  }
  return Status::success();
}

Status UpdateLocks::release(reconcile::AppId app) {
  const fs::path app_dir = fs::path(root_) / fmt::to_string(app);
  std::error_code error;
  if (!fs::exists(app_dir, error)) return Status::success();
  for (const auto& service : fs::directory_iterator(app_dir, error)) {
    for (const char* name : kLockNames) {
      const fs::path file = service.path() / name;
      if (owner_of(file) == Owner::Supervisor && ::unlink(file.c_str()) != 0 && errno != ENOENT) {
        return Status::failure(ErrorKind::FileSystem, fmt::format("cannot release {}: {}", file.string(), errno_text()));
      }
    }
  }
  if (error) {
    return Status::failure(ErrorKind::FileSystem, fmt::format("cannot read {}: {}", app_dir.string(), error.message()));
  }
  return Status::success();
}

Result<std::set<reconcile::AppId>> UpdateLocks::held() const {
  // "No locks" is an answer only when the directory could be read: an
  // unreadable directory fails the snapshot instead of hiding our locks.
  std::set<reconcile::AppId> apps;
  std::error_code error;
  if (!fs::exists(root_, error)) {
    if (!error) return apps;  // nothing locked yet: the directory is made on the first lock
    return Error{ErrorKind::FileSystem, fmt::format("cannot read the lock directory {}: {}", root_, error.message())};
  }
  for (const auto& app : fs::directory_iterator(root_, error)) {
    if (!app.is_directory()) continue;  // not an app directory
    reconcile::AppId id = 0;
    try {
      id = std::stoll(app.path().filename().string());
    } catch (const std::exception&) {
      continue;  // not an app directory
    }
    std::error_code inner;
    for (const auto& service : fs::directory_iterator(app.path(), inner)) {
      if (owner_of(service.path() / kLockNames[0]) == Owner::Supervisor) apps.insert(id);
    }
    if (inner) {
      return Error{ErrorKind::FileSystem,
                   fmt::format("cannot read the lock directory {}: {}", app.path().string(), inner.message())};
    }
  }
  if (error) {
    return Error{ErrorKind::FileSystem, fmt::format("cannot read the lock directory {}: {}", root_, error.message())};
  }
  return apps;
}

}  // namespace engine
