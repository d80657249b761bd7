// Update lockfiles on a real filesystem.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "engine/locks/update_locks.hpp"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char pattern[] = "/tmp/locks-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

unsigned owner(const fs::path& file) {
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  return info.st_uid;
}

// A lockfile as a user service makes it (any owner but the supervisor's).
void user_lock(const engine::UpdateLocks& locks, const std::string& service) {
  const fs::path dir = locks.service_dir(1, service);
  fs::create_directories(dir);
  std::ofstream(dir / "updates.lock") << "";
}

}  // namespace

std::set<reconcile::AppId> held(const engine::UpdateLocks& locks) {
  auto read = locks.held();
  REQUIRE(read.ok());
  return read.value();
}

TEST_CASE("taking a lock creates supervisor-owned lockfiles for every service; release removes them") {
  if (::geteuid() != 0) FAIL("needs root to mark lockfiles as the supervisor's");
  TempDir root;
  engine::UpdateLocks locks(root.path.string());
  REQUIRE(locks.take(1, {"web", "db"}, engine::Force::No).ok());
  for (const char* service : {"web", "db"}) {
    const fs::path dir = locks.service_dir(1, service);
    CHECK(owner(dir / "updates.lock") == engine::UpdateLocks::kSupervisorUid);
    CHECK(fs::exists(dir / "resin-updates.lock"));
  }
  CHECK(held(locks) == std::set<reconcile::AppId>{1});
  REQUIRE(locks.take(1, {"web"}, engine::Force::No).ok());  // taking it again is fine
  REQUIRE(locks.release(1).ok());
  CHECK(held(locks).empty());
  CHECK_FALSE(fs::exists(fs::path(locks.service_dir(1, "web")) / "updates.lock"));
}

TEST_CASE("a user's lockfile refuses the lock, and nothing is taken") {
  if (::geteuid() != 0) FAIL("needs root to tell owners apart");
  TempDir root;
  engine::UpdateLocks locks(root.path.string());
  user_lock(locks, "db");
  const auto refused = locks.take(1, {"web", "db"}, engine::Force::No);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == engine::ErrorKind::Locked);
  CHECK_THAT(refused.error().message, Catch::Matchers::StartsWith("Updates are locked: service 'db' of app 1"));
  CHECK_FALSE(fs::exists(fs::path(locks.service_dir(1, "web")) / "updates.lock"));
  CHECK(held(locks).empty());
}

TEST_CASE("force overrides a user's lock; release leaves locks users take later") {
  if (::geteuid() != 0) FAIL("needs root to tell owners apart");
  TempDir root;
  engine::UpdateLocks locks(root.path.string());
  user_lock(locks, "db");
  REQUIRE(locks.take(1, {"web", "db"}, engine::Force::Yes).ok());
  CHECK(owner(fs::path(locks.service_dir(1, "db")) / "updates.lock") == engine::UpdateLocks::kSupervisorUid);
  REQUIRE(locks.release(1).ok());
  user_lock(locks, "web");
  REQUIRE(locks.release(1).ok());
  CHECK(fs::exists(fs::path(locks.service_dir(1, "web")) / "updates.lock"));
  CHECK(held(locks).empty());
}

TEST_CASE("a lock directory that cannot be read is an error, not \"no locks\"") {
  TempDir root;
  const fs::path not_a_directory = root.path / "locks";
  { std::ofstream(not_a_directory) << "a file where the lock directory should be"; }
  engine::UpdateLocks locks(not_a_directory.string());
  const auto read = locks.held();
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().kind == engine::ErrorKind::FileSystem);
  CHECK_THAT(read.error().message, Catch::Matchers::Contains(not_a_directory.string()));
}

TEST_CASE("a lock directory not created yet holds no locks") {
  TempDir root;
  engine::UpdateLocks locks((root.path / "not-yet").string());
  CHECK(held(locks).empty());
}
